using Hangfire.ElasticSqs.Worker.Http;

namespace Hangfire.ElasticSqs.Worker.Tests.Http;

public class SqsdRequestGateTests
{
    private readonly SqsdRequestGate _gate = new(new SqsdGateOptions(), () => throw new AssertionException("no detection when off"));

    [TestCase("127.0.0.1")]
    [TestCase("127.8.9.10")]
    [TestCase("::1")]
    [TestCase("::ffff:127.0.0.1")]
    [TestCase("::ffff:127.0.0.2")]
    public void Loopback_peers_are_allowed(string peer) =>
        _gate.Evaluate(GateRequests.From(peer)).Decision.Should().Be(SqsdGateDecision.Allowed);

    [TestCase("10.0.0.5")]
    [TestCase("203.0.113.9")]
    [TestCase("::ffff:10.0.0.5")]
    [TestCase("2001:db8::1")]
    [TestCase("0.0.0.0")]
    [TestCase("::")]
    public void Other_peers_are_forbidden(string peer)
    {
        var result = _gate.Evaluate(GateRequests.From(peer));

        result.Decision.Should().Be(SqsdGateDecision.Forbidden);
        result.Reason.Should().Contain("not loopback");
    }

    [Test]
    public void A_connection_without_an_address_is_forbidden() =>
        _gate.Evaluate(GateRequests.From(peer: null)).Decision.Should().Be(SqsdGateDecision.Forbidden);

    [TestCase(null)]
    [TestCase("curl/8")]
    public void Requests_that_are_not_from_sqsd_are_not_handled_wherever_they_come_from(string? userAgent)
    {
        _gate.Evaluate(GateRequests.From("127.0.0.1", userAgent)).Should().Be(SqsdGateResult.NotSqsd);
        _gate.Evaluate(GateRequests.From("203.0.113.9", userAgent)).Should().Be(SqsdGateResult.NotSqsd);
    }

    [TestCase("aws-sqsd")]
    [TestCase("aws-sqsd/3.0.4")]
    public void Sqsd_agents_are_handled(string userAgent) =>
        _gate.Evaluate(GateRequests.From("127.0.0.1", userAgent)).Should().Be(SqsdGateResult.AllowedLoopback);

    [Test]
    public void Extra_user_agent_prefixes_are_handled()
    {
        var gate = new SqsdRequestGate(new SqsdGateOptions { ExtraUserAgentPrefixes = ["sqsd"] });

        gate.Evaluate(GateRequests.From("127.0.0.1", "sqsd/3.0.0")).IsAllowed.Should().BeTrue();
    }

    [TestCase("127.0.0.1")]
    [TestCase("127.0.0.1, ::1")]
    [TestCase("[::1]:5555")]
    [TestCase("127.0.0.1:5555")]
    public void Loopback_peer_forwarding_only_loopback_hops_is_allowed(string forwardedFor) =>
        _gate.Evaluate(GateRequests.From("127.0.0.1", headers: ("X-Forwarded-For", forwardedFor)))
            .IsAllowed.Should().BeTrue();

    [TestCase("203.0.113.9")]
    [TestCase("127.0.0.1, 203.0.113.9")]
    [TestCase("203.0.113.9, 127.0.0.1")]
    [TestCase("127.0.0.1,203.0.113.9,127.0.0.1")]
    [TestCase("unknown")]
    [TestCase("127.0.0.1,")]
    [TestCase("localhost")]
    public void Loopback_peer_forwarding_any_other_hop_is_forbidden(string forwardedFor)
    {
        var result = _gate.Evaluate(GateRequests.From("127.0.0.1", headers: ("X-Forwarded-For", forwardedFor)));

        result.Decision.Should().Be(SqsdGateDecision.Forbidden);
        result.Reason.Should().StartWith("X-Forwarded-For");
    }

    [Test]
    public void Every_repeated_forwarded_for_header_is_checked() =>
        _gate.Evaluate(GateRequests.From(
                "127.0.0.1", headers: [("X-Forwarded-For", "127.0.0.1"), ("X-Forwarded-For", "203.0.113.9")]))
            .Decision.Should().Be(SqsdGateDecision.Forbidden);

    [Test]
    public void Forwarded_for_from_a_remote_peer_is_ignored_and_the_request_refused()
    {
        var result = _gate.Evaluate(GateRequests.From("203.0.113.9", headers: ("X-Forwarded-For", "127.0.0.1")));

        result.Decision.Should().Be(SqsdGateDecision.Forbidden);
        result.Reason.Should().Be("peer 203.0.113.9 is not loopback");
    }

    [Test]
    public void Real_ip_must_be_loopback_too()
    {
        _gate.Evaluate(GateRequests.From("127.0.0.1", headers: ("X-Real-IP", "127.0.0.1"))).IsAllowed.Should().BeTrue();
        _gate.Evaluate(GateRequests.From("127.0.0.1", headers: [("X-Real-IP", "203.0.113.9"), ("X-Forwarded-For", "127.0.0.1")]))
            .Reason.Should().Be("X-Real-IP names non-local address 203.0.113.9");
    }

    [Test]
    public void Nginx_on_elastic_beanstalk_forwarding_sqsd_is_allowed() =>
        _gate.Evaluate(GateRequests.From(
                "127.0.0.1", headers: [("X-Real-IP", "127.0.0.1"), ("X-Forwarded-For", "127.0.0.1"), ("Connection", "upgrade")]))
            .Should().Be(SqsdGateResult.AllowedLoopback);

    [TestCase("for=127.0.0.1", true)]
    [TestCase("for=\"[::1]:4711\";proto=http", true)]
    [TestCase("proto=http;by=203.0.113.43", true)]
    [TestCase("for=127.0.0.1, for=203.0.113.9;proto=https", false)]
    [TestCase("For=_hidden", false)]
    public void Rfc7239_forwarded_for_pairs_must_be_loopback(string forwarded, bool allowed) =>
        _gate.Evaluate(GateRequests.From("127.0.0.1", headers: ("Forwarded", forwarded))).IsAllowed.Should().Be(allowed);

    [Test]
    public void The_peer_recorded_by_forwarded_headers_middleware_must_be_loopback()
    {
        // ForwardedHeadersMiddleware rewrote RemoteIpAddress to a claimed 127.0.0.1 and kept the real peer here.
        var result = _gate.Evaluate(GateRequests.From("127.0.0.1", headers: ("X-Original-For", "203.0.113.9:5555")));

        result.Reason.Should().Be("X-Original-For names non-local address 203.0.113.9");
    }

    [Test]
    public void Reasons_never_echo_raw_header_values()
    {
        var result = _gate.Evaluate(GateRequests.From("127.0.0.1", headers: ("X-Forwarded-For", "secret-token-abc")));

        result.Reason.Should().NotContain("secret").And.Be("X-Forwarded-For has an entry that is not an IP address");
    }
}
