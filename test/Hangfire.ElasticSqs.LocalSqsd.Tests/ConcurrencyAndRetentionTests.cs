using Hangfire.ElasticSqs.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Hangfire.ElasticSqs.LocalSqsd.Tests;

public sealed class ConcurrencyAndRetentionTests : LocalSqsdTestBase
{
    [Test]
    public async Task HttpConnections_caps_the_requests_in_flight_and_messages_are_received_only_for_free_connections()
    {
        var queueUrl = await CreateQueueAsync();
        for (var i = 0; i < 6; i++)
        {
            await Sqs.SendMessageAsync(queueUrl, $"message {i}");
        }

        using var gate = new SemaphoreSlim(0);
        App.Respond = async (_, _) =>
        {
            await gate.WaitAsync();
            return 200;
        };
        var options = OptionsFor(queueUrl);
        options.HttpConnections = 2;
        await StartSqsdAsync(options);

        await Eventually.True(() => App.InFlight == 2, "two requests in flight");
        (await DepthAsync(queueUrl)).Should().Be((4, 2), "nothing is received while both connections are busy");

        // Let the requests finish one at a time; each frees one connection for one more message.
        for (var arrived = 3; arrived <= 6; arrived++)
        {
            gate.Release();
            await WaitForRequestsAsync(arrived);
        }

        gate.Release(2);
        await WaitUntilEmptyAsync(queueUrl);

        App.Requests.Should().HaveCount(6);
        App.MaxInFlight.Should().Be(2);
    }

    [Test]
    public async Task A_message_first_received_longer_ago_than_the_retention_period_is_deleted_without_being_posted()
    {
        var queueUrl = await CreateQueueAsync();
        await Sqs.SendMessageAsync(queueUrl, "stale");

        // The daemon's clock runs two minutes ahead, so the message's first receive (now, by SQS's clock)
        // is already more than the 60 s retention period in the past.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(2));
        var options = OptionsFor(queueUrl);
        options.RetentionPeriod = 60;
        options.BatchDeleteDelay = TimeSpan.Zero;
        await StartSqsdAsync(options, clock);

        await WaitUntilEmptyAsync(queueUrl);

        App.Requests.Should().BeEmpty();
        LogLines.Should().Contain(line => line.StartsWith("expired-msg: ", StringComparison.Ordinal));
    }
}
