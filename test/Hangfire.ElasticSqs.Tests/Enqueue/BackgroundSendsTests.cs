using Hangfire.ElasticSqs.Enqueue;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.ElasticSqs.Testing;
using Hangfire.States;

namespace Hangfire.ElasticSqs.Tests.Enqueue;

/// <summary>
/// SendFailureMode.KeepPending: an enqueue returns once the job and its outbox record are committed, and its message
/// follows without the caller waiting for SQS. Throw mode still waits, because the caller must learn the outcome.
/// </summary>
public class BackgroundSendsTests : MotoFixture
{
    private SqsTestBed _bed = null!;

    [SetUp]
    public void StartSqs() => _bed = SqsTestBed.On(Moto);

    [TearDown]
    public async Task StopSqs() => await _bed.DisposeAsync();

    [Test]
    public async Task An_enqueue_returns_while_sqs_has_not_answered_and_its_message_follows()
    {
        await _bed.CreateQueueAsync("default");
        using var sqs = new GatedSqsClient(_bed.Moto.ServiceUrl);
        var storage = _bed.CreateStorage(sqs: sqs);

        // The gate is closed for the whole enqueue: had it waited for SQS, it could not have returned.
        var jobId = new BackgroundJobClient(storage).Enqueue(() => TestJobs.Work(1));

        using (var connection = storage.GetConnection())
        {
            connection.GetStateData(jobId).Name.Should().Be(EnqueuedState.StateName);
        }

        await Eventually.True(() => sqs.SendsStarted == 1, "the send to be under way");
        storage.BackgroundSends.UnderWay.Should().Be(1);
        storage.Outbox.PendingCount().Should().Be(1, "the job is durably pending until SQS accepts its message");

        sqs.Open();
        var message = (await _bed.DrainAsync("default", 1)).Should().ContainSingle().Subject;
        message.MessageAttributes[MessageAttributeNames.JobId].StringValue.Should().Be(jobId);
        await storage.BackgroundSends.WhenIdleAsync();
        storage.Outbox.PendingCount().Should().Be(0);
    }

    [Test]
    public async Task With_send_failure_mode_throw_an_enqueue_waits_for_sqs_to_answer()
    {
        await _bed.CreateQueueAsync("default");
        using var sqs = new GatedSqsClient(_bed.Moto.ServiceUrl);
        var storage = _bed.CreateStorage(o => o.SendFailureMode = SendFailureMode.Throw, sqs: sqs);

        var enqueue = Task.Factory.StartNew(() => new BackgroundJobClient(storage).Enqueue(() => TestJobs.Work(2)), TaskCreationOptions.LongRunning);

        await Eventually.True(() => sqs.SendsStarted == 1, "the send to be under way");
        enqueue.IsCompleted.Should().BeFalse("the caller waits for SQS's answer");
        storage.BackgroundSends.UnderWay.Should().Be(0, "nothing is sent behind a Throw-mode caller's back");
        sqs.Open();
        var jobId = await enqueue;
        (await _bed.DrainAsync("default", 1)).Single().MessageAttributes[MessageAttributeNames.JobId].StringValue.Should().Be(jobId);
    }

    [Test]
    public async Task A_send_that_fails_in_the_background_is_shown_on_the_dashboard_and_sent_by_the_sweeper()
    {
        await _bed.CreateQueueAsync("default");
        using var sqs = new GatedSqsClient(_bed.Moto.ServiceUrl) { Failing = true };
        sqs.Open();
        var storage = _bed.CreateStorage(
            o =>
            {
                o.OutboxSweepInterval = TimeSpan.FromMilliseconds(200);
                o.OutboxResendAfter = TimeSpan.FromSeconds(1);
            },
            sqs: sqs);

        var jobId = new BackgroundJobClient(storage).Enqueue(() => TestJobs.Work(3));
        await storage.BackgroundSends.WhenIdleAsync();

        storage.Monitor.LastError.Should().NotBeNull();
        storage.Monitor.LastError!.Operation.Should().Contain(jobId);
        storage.Outbox.PendingCount().Should().Be(1, "the record stays for the sweeper");

        sqs.Failing = false;
        (await _bed.DrainAsync("default", 1)).Single().MessageAttributes[MessageAttributeNames.JobId].StringValue.Should().Be(jobId);
        await Eventually.Until(() => storage.Outbox.PendingCount(), count => count == 0, "the sweeper's send to clear the record");
    }

    [Test]
    public async Task Disposing_the_storage_waits_for_the_sends_under_way()
    {
        await _bed.CreateQueueAsync("default");
        using var sqs = new GatedSqsClient(_bed.Moto.ServiceUrl);
        var storage = _bed.CreateStorage(sqs: sqs);
        var jobId = new BackgroundJobClient(storage).Enqueue(() => TestJobs.Work(4));
        await Eventually.True(() => sqs.SendsStarted == 1, "the send to be under way");

        var dispose = Task.Factory.StartNew(storage.Dispose, TaskCreationOptions.LongRunning);
        await Eventually.True(() => storage.BackgroundSends.UnderWay == 1 && dispose.Status == TaskStatus.Running, "Dispose to be waiting");
        dispose.IsCompleted.Should().BeFalse("the message is not sent yet");

        sqs.Open();
        await dispose;
        storage.BackgroundSends.UnderWay.Should().Be(0);
        (await _bed.DrainAsync("default", 1)).Single().MessageAttributes[MessageAttributeNames.JobId].StringValue.Should().Be(jobId);
    }

    [Test]
    public async Task A_producer_faster_than_sqs_waits_once_the_maximum_of_sends_is_under_way()
    {
        await _bed.CreateQueueAsync("default");
        using var sqs = new GatedSqsClient(_bed.Moto.ServiceUrl);
        var storage = _bed.CreateStorage(sqs: sqs);
        await storage.Publisher.Resolver.ResolveAsync("default", CancellationToken.None);
        var sends = new BackgroundSends(storage.Outbox, (_, error) => Assert.Fail(error.Message), maxUnderWay: 2);
        var prepared = Enumerable.Range(0, 3)
            .Select(i => storage.Publisher.Prepare(
                PendingSend.Create("job-" + i, "default", due: null),
                JobPayload.From(Common.Job.FromExpression(() => TestJobs.Work(i)), DateTime.UtcNow),
                retry: 0)!)
            .ToList();

        sends.Start(prepared[..2]);
        var third = Task.Factory.StartNew(() => sends.Start(prepared[2..]), TaskCreationOptions.LongRunning);
        await Eventually.True(() => sqs.SendsStarted >= 1 && third.Status == TaskStatus.Running, "two sends under way and the third caller started");
        third.IsCompleted.Should().BeFalse("two sends are under way, the maximum");
        sends.UnderWay.Should().Be(2);

        sqs.Open();
        await third;
        await sends.WhenIdleAsync();
        (await _bed.DrainAsync("default", 3)).Select(m => m.MessageAttributes[MessageAttributeNames.JobId].StringValue)
            .Should().BeEquivalentTo(["job-0", "job-1", "job-2"]);
    }
}
