using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.ElasticSqs.Testing;
using Hangfire.InMemory;
using Hangfire.States;
using Microsoft.Extensions.Time.Testing;

namespace Hangfire.ElasticSqs.Tests.Enqueue;

/// <summary>SQS outages during enqueue: nothing accepted is lost, and the caller is told the truth.</summary>
public class OutboxTests
{
    private SqsTestBed _bed = null!;

    [SetUp]
    public async Task StartSqs() => _bed = await SqsTestBed.StartAsync();

    [TearDown]
    public async Task StopSqs() => await _bed.DisposeAsync();

    [Test]
    public async Task Jobs_accepted_while_sqs_is_down_are_sent_exactly_once_after_it_returns()
    {
        await _bed.CreateQueueAsync("default");
        var storage = _bed.CreateStorage(o =>
        {
            o.OutboxSweepInterval = TimeSpan.FromMilliseconds(200);
            o.OutboxResendAfter = TimeSpan.FromSeconds(1);
        });
        var client = new BackgroundJobClient(storage);
        var before = client.Enqueue(() => TestJobs.Work(0)); // resolves and caches the queue URL
        await storage.BackgroundSends.WhenIdleAsync(); // sent before SQS goes down

        await _bed.Moto.StopAsync();
        var during = Enumerable.Range(1, 5).Select(i => client.Enqueue(() => TestJobs.Work(i))).ToList();

        during.Should().OnlyContain(id => !string.IsNullOrEmpty(id), "KeepPending accepts the job");
        using (var connection = storage.GetConnection())
        {
            during.Select(id => connection.GetStateData(id).Name).Should().AllBe(EnqueuedState.StateName);
        }

        storage.Outbox.PendingCount().Should().Be(5);
        storage.GetMonitoringApi().EnqueuedJobs("default", 0, 100).Select(j => j.Key).Should().Contain(during, "the Dashboard shows pending jobs");

        await _bed.Moto.RestartAsync(); // a restarted moto has lost its queues: re-create the queue
        await _bed.CreateQueueAsync("default");

        await Eventually.Until(() => storage.Outbox.PendingCount(), count => count == 0, "the sweeper to send every pending job");
        var messages = await _bed.DrainAsync("default", 5);
        messages.Select(m => m.MessageAttributes[MessageAttributeNames.JobId].StringValue).Should().BeEquivalentTo(during);
        messages.Should().OnlyContain(m => SqsTestBed.Verifies(m, storage.Options.SigningKeys, TestKeys.CurrentId));
        before.Should().NotBeNullOrEmpty();
    }

    [Test]
    public async Task A_pending_job_whose_queue_does_not_exist_yet_stays_in_the_outbox_until_the_queue_is_back()
    {
        await _bed.CreateQueueAsync("default");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = TestKeys.Options(o =>
        {
            o.QueueNamePrefix = _bed.Prefix;
            o.EnableOutboxSweeper = false; // swept by hand below
        });
        using var storage = new ElasticSqsStorage(new InMemoryStorage(), options, _bed.Sqs, timeProvider: clock);
        await _bed.Moto.StopAsync();
        var jobId = new BackgroundJobClient(storage).Enqueue(() => TestJobs.Work(1)); // accepted; its send fails
        await storage.BackgroundSends.WhenIdleAsync();

        // SQS is back but has lost its queues, as after a restore: the queue is missing for a while.
        await _bed.Moto.RestartAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        (await storage.Outbox.SweepAsync(CancellationToken.None)).Should().Be(0);
        storage.Outbox.PendingCount().Should().Be(1, "a queue that does not exist now may exist later: the accepted job is kept");

        await _bed.CreateQueueAsync("default");
        clock.Advance(TimeSpan.FromMinutes(1));
        (await storage.Outbox.SweepAsync(CancellationToken.None)).Should().Be(1);
        (await _bed.DrainAsync("default", 1)).Single().MessageAttributes[MessageAttributeNames.JobId].StringValue.Should().Be(jobId);
    }

    [Test]
    public async Task With_send_failure_mode_throw_the_caller_gets_the_error_and_the_job_never_runs_later()
    {
        await _bed.CreateQueueAsync("default");
        var storage = _bed.CreateStorage(o =>
        {
            o.SendFailureMode = SendFailureMode.Throw;
            o.OutboxSweepInterval = TimeSpan.FromMilliseconds(200);
            o.OutboxResendAfter = TimeSpan.FromMilliseconds(500);
        });
        var client = new BackgroundJobClient(storage);
        client.Enqueue(() => TestJobs.Work(0));
        await _bed.Moto.StopAsync();

        var enqueue = () => client.Enqueue(() => TestJobs.Work(1));

        var error = enqueue.Should().Throw<BackgroundJobClientException>().WithInnerException<ElasticSqsSendException>().Which;
        error.Message.Should().Contain("could not be sent to SQS").And.Contain("moved to the Failed state");
        storage.Outbox.PendingCount().Should().Be(0, "a refused job is not sent behind the caller's back");
        storage.GetMonitoringApi().FailedCount().Should().Be(1);
    }
}
