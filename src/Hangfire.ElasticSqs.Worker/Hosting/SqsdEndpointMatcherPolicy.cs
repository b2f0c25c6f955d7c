using Hangfire.ElasticSqs.Worker.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.Worker.Hosting;

/// <summary>
/// Takes the sqsd endpoint out of routing for requests it must not handle — processing disabled, or a User-Agent
/// that is not sqsd — so they reach the rest of the application (its own <c>POST /</c>, or a 404), as the HTTP
/// contract in docs/http-contract.md promises.
/// </summary>
internal sealed class SqsdEndpointMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    private readonly IOptions<ElasticSqsWorkerOptions> _options;

    public SqsdEndpointMatcherPolicy(IOptions<ElasticSqsWorkerOptions> options) => _options = options;

    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
        => endpoints.Any(e => e.Metadata.GetMetadata<SqsdEndpointMetadata>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var options = _options.Value;
        var handled = options.IsEnabled && SqsdUserAgent.IsSqsd(httpContext.Request.Headers.UserAgent.ToString(), options.ExtraUserAgentPrefixes);
        if (handled)
        {
            return Task.CompletedTask;
        }

        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates[i].Endpoint.Metadata.GetMetadata<SqsdEndpointMetadata>() is not null)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
