using System.Net;
using Hangfire.ElasticSqs.Worker.Http;

namespace Hangfire.ElasticSqs.Worker.Tests.Http;

public class DockerGatewayTests
{
    // Shapes copied from real machines: header, tab-separated columns, trailing padding.
    private const string HostRouteTable =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n" +
        "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0                                                                               \n" +
        "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0                                                                               \n" +
        "wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0                                                                               \n";

    private const string ContainerRouteTable =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
        "eth0\t00000000\t010011AC\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
        "eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";

    [Test]
    public void Reads_the_default_gateway_of_a_host() =>
        DockerGateway.ParseDefaultGateway(HostRouteTable).Should().Be(IPAddress.Parse("192.168.1.1"));

    [Test]
    public void Reads_the_docker_bridge_gateway_inside_a_container() =>
        DockerGateway.ParseDefaultGateway(ContainerRouteTable).Should().Be(IPAddress.Parse("172.17.0.1"));

    [Test]
    public void Prefers_the_default_route_with_the_lowest_metric()
    {
        var table = ContainerRouteTable + "eth1\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n";

        DockerGateway.ParseDefaultGateway(table).Should().Be(IPAddress.Parse("172.17.0.1"));
    }

    [TestCase("")]
    [TestCase("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n")]
    [TestCase("eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n")]
    [TestCase("eth0\t00000000\t010011AC\t0002\t0\t0\t0\t00000000\t0\t0\t0\n")] // route not up
    [TestCase("eth0\t00000000\tZZZZ\t0003\t0\t0\t0\t00000000\t0\t0\t0\n")]
    public void Finds_nothing_without_a_usable_default_route(string table) =>
        DockerGateway.ParseDefaultGateway(table).Should().BeNull();

    [Test]
    public void A_missing_route_file_means_no_gateway() =>
        DockerGateway.TryDetect("/nonexistent/proc/net/route").Should().BeNull();

    [Test]
    public void The_gateway_peer_is_local_only_when_trust_is_enabled()
    {
        var detected = DockerGateway.ParseDefaultGateway(ContainerRouteTable);
        var trusting = new SqsdRequestGate(new SqsdGateOptions { TrustDockerGateway = true }, () => detected);
        var strict = new SqsdRequestGate(new SqsdGateOptions(), () => detected);

        trusting.TrustedGateways.Should().Equal(IPAddress.Parse("172.17.0.1"));
        trusting.Evaluate(GateRequests.From("172.17.0.1")).Should().Be(SqsdGateResult.AllowedGateway);
        trusting.Evaluate(GateRequests.From("::ffff:172.17.0.1")).IsAllowed.Should().BeTrue();
        trusting.Evaluate(GateRequests.From("172.17.0.2")).Decision.Should().Be(SqsdGateDecision.Forbidden);
        strict.TrustedGateways.Should().BeEmpty();
        strict.Evaluate(GateRequests.From("172.17.0.1")).Decision.Should().Be(SqsdGateDecision.Forbidden);
    }

    [Test]
    public void The_host_nginx_forwarding_through_the_gateway_must_still_report_local_hops()
    {
        var gate = new SqsdRequestGate(new SqsdGateOptions { TrustDockerGateway = true }, () => IPAddress.Parse("172.17.0.1"));

        gate.Evaluate(GateRequests.From("172.17.0.1", headers: ("X-Forwarded-For", "127.0.0.1"))).IsAllowed.Should().BeTrue();
        gate.Evaluate(GateRequests.From("172.17.0.1", headers: ("X-Forwarded-For", "203.0.113.9")))
            .Decision.Should().Be(SqsdGateDecision.Forbidden);
    }

    [Test]
    public void Explicit_gateway_addresses_replace_detection()
    {
        var options = new SqsdGateOptions { TrustDockerGateway = true, TrustedGatewayAddresses = [IPAddress.Parse("10.0.2.2")] };
        var gate = new SqsdRequestGate(options, () => throw new AssertionException("must not detect"));

        gate.Evaluate(GateRequests.From("10.0.2.2")).IsAllowed.Should().BeTrue();
    }
}
