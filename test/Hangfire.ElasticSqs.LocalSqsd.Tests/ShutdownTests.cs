using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.LocalSqsd.Tests;

public sealed class ShutdownTests : LocalSqsdTestBase
{
    [Test]
    public async Task Stopping_waits_for_the_request_in_flight_and_then_sends_its_pending_delete()
    {
        var queueUrl = await CreateQueueAsync();
        await Sqs.SendMessageAsync(queueUrl, "finish me");
        using var gate = new SemaphoreSlim(0);
        App.Respond = async (_, _) =>
        {
            await gate.WaitAsync();
            return 200;
        };
        var options = OptionsFor(queueUrl);
        options.BatchDeleteDelay = TimeSpan.FromMinutes(10); // only the flush at stop can delete in time
        var sqsd = await StartSqsdAsync(options);
        await Eventually.True(() => App.InFlight == 1, "the request in flight");

        var stopping = sqsd.StopAsync(CancellationToken.None);
        stopping.IsCompleted.Should().BeFalse("the request in flight has not been answered");
        gate.Release();
        await stopping;

        (await DepthAsync(queueUrl)).Should().Be((0, 0));
    }

    [Test]
    public async Task A_request_still_in_flight_after_the_drain_timeout_is_abandoned_and_its_message_made_visible_again()
    {
        var queueUrl = await CreateQueueAsync();
        await Sqs.SendMessageAsync(queueUrl, "stuck");
        App.Respond = async (_, context) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }

            return -1;
        };
        var options = OptionsFor(queueUrl);
        options.DrainTimeout = TimeSpan.FromMilliseconds(300);
        options.ErrorVisibilityTimeout = 0;
        var sqsd = await StartSqsdAsync(options);
        await Eventually.True(() => App.InFlight == 1, "the request in flight");

        await sqsd.StopAsync(CancellationToken.None);

        (await DepthAsync(queueUrl)).Should().Be((1, 0), "the abandoned message is visible again at once, not after the 300 s VisibilityTimeout");
        LogLines.Should().Contain(line => line.Contains("still in flight after the drain timeout", StringComparison.Ordinal));
    }
}
