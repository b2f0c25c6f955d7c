using System.Globalization;
using Hangfire.ElasticSqs.Pipeline;

namespace Hangfire.ElasticSqs.Tests.Pipeline;

/// <summary>A verified message older than the queue keeps any message, or from the future, is a replay.</summary>
public class ReplayGuardTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private static string Sent(TimeSpan ago) => (Now - ago).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    [Test]
    public void A_message_within_the_retention_period_is_delivered()
    {
        var options = new ElasticSqsStorageOptions();
        ReplayGuard.Refusal(2, Sent(TimeSpan.Zero), Now, options).Should().BeNull();
        ReplayGuard.Refusal(2, Sent(TimeSpan.FromDays(4) - TimeSpan.FromMinutes(1)), Now, options).Should().BeNull();
        ReplayGuard.Refusal(2, Sent(-TimeSpan.FromMinutes(4)), Now, options).Should().BeNull("a sender's clock a little ahead");
    }

    [Test]
    public void A_message_older_than_the_retention_period_is_refused_naming_the_option()
    {
        ReplayGuard.Refusal(2, Sent(TimeSpan.FromDays(4) + TimeSpan.FromMinutes(1)), Now, new ElasticSqsStorageOptions())
            .Should().Contain("MessageRetention").And.Contain("replayed");
        ReplayGuard.Refusal(2, Sent(TimeSpan.FromHours(2)), Now, new ElasticSqsStorageOptions { MessageRetention = TimeSpan.FromHours(1) })
            .Should().Contain("MessageRetention");
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("-5")]
    [TestCase("soon")]
    [TestCase("999999999999999999")]
    public void A_missing_or_unreadable_send_time_is_refused(string? sent)
        => ReplayGuard.Refusal(2, sent, Now, new ElasticSqsStorageOptions()).Should().Contain("hangfire-sent");

    [Test]
    public void A_message_sent_in_the_future_is_refused()
        => ReplayGuard.Refusal(2, Sent(-TimeSpan.FromHours(1)), Now, new ElasticSqsStorageOptions()).Should().Contain("ahead of this machine's clock");

    [Test]
    public void V1_messages_are_refused_unless_inside_the_deprecation_window()
    {
        ReplayGuard.Refusal(1, null, Now, new ElasticSqsStorageOptions()).Should().Contain("AcceptV1SignaturesUntil");
        ReplayGuard.Refusal(1, null, Now, new ElasticSqsStorageOptions { AcceptV1SignaturesUntil = Now.AddDays(1) }).Should().BeNull();
        ReplayGuard.Refusal(1, null, Now, new ElasticSqsStorageOptions { AcceptV1SignaturesUntil = Now.AddSeconds(-1) }).Should().Contain("v1");
    }
}
