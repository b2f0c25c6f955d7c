using Hangfire.ElasticSqs.Hosts.Polling;

namespace Hangfire.ElasticSqs.Tests.Hosts;

/// <summary>Poll mode's idle receives end inside the SQS client's timeout, so that no receive is abandoned while SQS serves it.</summary>
public class LongPollTests
{
    [TestCase(null, 20)]
    [TestCase(100.0, 20)]
    [TestCase(22.0, 20)]
    [TestCase(21.0, 19)]
    [TestCase(10.0, 8)]
    [TestCase(2.5, 1)]
    [TestCase(1.0, 1)]
    public void The_long_poll_ends_at_least_two_seconds_before_the_client_timeout(double? timeoutSeconds, int expected)
        => PollingHost.LongPollWithin(timeoutSeconds is { } s ? TimeSpan.FromSeconds(s) : null).Should().Be(expected);
}
