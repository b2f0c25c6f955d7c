using System.Net;
using Hangfire.ElasticSqs.Testing;
using Hangfire.States;
using Microsoft.Extensions.Time.Testing;

namespace Hangfire.ElasticSqs.Worker.Tests.Delivery;

/// <summary>Delays longer than SQS's 15 minutes, proven with an injected clock instead of waiting.</summary>
public class DelayedDeliveryTests : MotoFixture
{
    [Test]
    public async Task A_20_minute_delay_is_chained_through_sqs_and_never_runs_early()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await WorkerTestHost.StartAsync(Moto, time: clock);
        var key = Guid.NewGuid().ToString();

        var jobId = host.Client.Schedule<CountingJobs>(j => j.Count(key), TimeSpan.FromMinutes(20));
        using (var connection = host.Storage.GetConnection())
        {
            connection.GetStateData(jobId).Name.Should().Be(ScheduledState.StateName);
        }

        await Eventually.Until(async () => (await host.QueueAttributesAsync())["ApproximateNumberOfMessagesDelayed"], n => n == "1", "the first link, delayed by SQS's maximum of 900 s");
        var enqueueAt = clock.GetUtcNow().UtcDateTime; // the job's due time, as the scheduler computed it below
        using (var connection = host.Storage.GetConnection())
        {
            enqueueAt = Hangfire.Common.JobHelper.DeserializeDateTime(connection.GetStateData(jobId).Data["EnqueueAt"]);
        }

        // 15 minutes later the first link arrives: 5 minutes early. It is sent again with the remaining delay.
        clock.Advance(TimeSpan.FromMinutes(15));
        var (body, attributes) = host.SignedMessage(jobId, due: enqueueAt);
        (await host.Http.SendAsync(WorkerTestHost.SqsdRequest(body, attributes))).StatusCode.Should().Be(HttpStatusCode.OK);
        CountingJobs.RunsOf(key).Should().Be(0);
        await Eventually.Until(async () => (await host.QueueAttributesAsync())["ApproximateNumberOfMessagesDelayed"], n => n == "2", "the next link, sent delayed");

        // At 20 minutes the second link arrives and the job runs. (The due time was computed from the real clock, which
        // moved on while the test started: go to it exactly, not to a fixed 20 minutes after the fake clock's start.)
        clock.SetUtcNow(new DateTimeOffset(DateTime.SpecifyKind(enqueueAt, DateTimeKind.Utc)));
        (await host.Http.SendAsync(WorkerTestHost.SqsdRequest(body, attributes))).StatusCode.Should().Be(HttpStatusCode.OK);
        CountingJobs.RunsOf(key).Should().Be(1);
        host.StateOf(jobId).Should().Be(SucceededState.StateName);
    }

    [Test]
    public async Task A_stale_delayed_message_after_a_reschedule_is_acknowledged_without_running()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await WorkerTestHost.StartAsync(Moto, time: clock);
        var key = Guid.NewGuid().ToString();
        var jobId = host.Client.Schedule<CountingJobs>(j => j.Count(key), TimeSpan.FromMinutes(1));
        var (body, attributes) = host.SignedMessage(jobId, due: clock.GetUtcNow().UtcDateTime.AddMinutes(1));
        host.Client.Reschedule(jobId, TimeSpan.FromHours(1));

        clock.Advance(TimeSpan.FromMinutes(1));
        (await host.Http.SendAsync(WorkerTestHost.SqsdRequest(body, attributes))).StatusCode.Should().Be(HttpStatusCode.OK);

        CountingJobs.RunsOf(key).Should().Be(0, "stock Hangfire would run it an hour early");
        host.StateOf(jobId).Should().Be(ScheduledState.StateName);
    }
}
