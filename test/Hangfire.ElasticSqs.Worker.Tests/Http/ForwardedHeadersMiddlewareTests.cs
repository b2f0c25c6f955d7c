using Hangfire.ElasticSqs.Worker.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.Worker.Tests.Http;

/// <summary>
/// The gate after ASP.NET Core's ForwardedHeadersMiddleware has rewritten the request, with the
/// configurations docs/security-loopback.md calls safe and the one it warns against.
/// </summary>
public class ForwardedHeadersMiddlewareTests
{
    private readonly SqsdRequestGate _gate = new(new SqsdGateOptions());

    [Test]
    public async Task Default_options_behind_nginx_allow_sqsd()
    {
        var result = await EvaluateAfterMiddleware(DefaultOptions(), "127.0.0.1", "127.0.0.1");

        result.IsAllowed.Should().BeTrue();
    }

    [Test]
    public async Task Default_options_behind_nginx_refuse_a_remote_client_that_prepends_loopback()
    {
        // nginx appends the client it saw: "<what the client sent>, <client>".
        var result = await EvaluateAfterMiddleware(DefaultOptions(), "127.0.0.1", "127.0.0.1, 203.0.113.9");

        result.Decision.Should().Be(SqsdGateDecision.Forbidden);
    }

    [Test]
    public async Task Trusting_every_proxy_with_forward_limit_one_still_refuses_a_direct_remote_client()
    {
        // What ASPNETCORE_FORWARDEDHEADERS_ENABLED=true configures: any peer trusted, one hop.
        var options = DefaultOptions();
        options.KnownProxies.Clear();
        ClearKnownNetworks(options);

        var result = await EvaluateAfterMiddleware(options, "203.0.113.9", "127.0.0.1");

        result.Reason.Should().Be("X-Original-For names non-local address 203.0.113.9");
    }

    [Test]
    public async Task Trusting_every_proxy_with_no_forward_limit_lets_a_remote_client_pass_which_is_why_the_docs_forbid_it()
    {
        var options = DefaultOptions();
        options.KnownProxies.Clear();
        ClearKnownNetworks(options);
        options.ForwardLimit = null;

        var result = await EvaluateAfterMiddleware(options, "127.0.0.1", "127.0.0.1, 203.0.113.9");

        // The middleware discarded the remote hop before the gate ran; nothing is left to detect.
        result.IsAllowed.Should().BeTrue();
    }

    private static ForwardedHeadersOptions DefaultOptions() => new() { ForwardedHeaders = ForwardedHeaders.XForwardedFor };

#pragma warning disable ASPDEPR005 // KnownNetworks is obsolete on .NET 10; apps still set it, so the test does too.
    private static void ClearKnownNetworks(ForwardedHeadersOptions options) => options.KnownNetworks.Clear();
#pragma warning restore ASPDEPR005

    private async Task<SqsdGateResult> EvaluateAfterMiddleware(ForwardedHeadersOptions options, string peer, string forwardedFor)
    {
        var context = GateRequests.From(peer, headers: ("X-Forwarded-For", forwardedFor));
        SqsdGateResult? result = null;
        var middleware = new ForwardedHeadersMiddleware(
            next: c =>
            {
                result = _gate.Evaluate(c);
                return Task.CompletedTask;
            },
            NullLoggerFactory.Instance,
            Options.Create(options));

        await middleware.Invoke(context);

        return result!.Value;
    }
}
