using System.Collections.Concurrent;
using Hangfire.ElasticSqs.LocalSqsd;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Testing;
using Hangfire.States;

namespace Hangfire.ElasticSqs.Worker.Tests.Delivery;

/// <summary>Whole job lifecycles through moto and the local sqsd: retries, reschedules, continuations, load.</summary>
public class WorkerFlowTests
{
    private MotoServer _moto = null!;
    private WorkerTestHost _host = null!;
    private Hangfire.ElasticSqs.LocalSqsd.LocalSqsd _sqsd = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _moto = await MotoServer.StartAsync();
        _host = await WorkerTestHost.StartAsync(_moto, worker: o => o.WorkerCount = 20);
        _sqsd = new Hangfire.ElasticSqs.LocalSqsd.LocalSqsd(
            new LocalSqsdOptions
            {
                WorkerQueueURL = _host.QueueUrl(),
                BaseAddress = _host.BaseAddress,
                HttpConnections = 50,
                ErrorVisibilityTimeout = 1,
                ReceiveWaitTimeSeconds = 1,
                BatchDeleteDelay = TimeSpan.FromMilliseconds(200),
            },
            _host.Sqs);
        await _sqsd.StartAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _sqsd.StopAsync(CancellationToken.None);
        await _sqsd.DisposeAsync();
        await _host.DisposeAsync();
        await _moto.DisposeAsync();
    }

    [Test]
    public async Task A_job_that_fails_twice_then_succeeds_is_retried_through_delayed_sqs_messages()
    {
        var key = Guid.NewGuid().ToString();
        var jobId = _host.Client.Enqueue<CountingJobs>(j => j.FailTwice(key));

        await Eventually.Until(() => _host.StateOf(jobId), s => s == SucceededState.StateName, "the third attempt to succeed", TimeSpan.FromSeconds(60));

        CountingJobs.RunsOf(key).Should().Be(3);
        var history = _host.Storage.GetMonitoringApi().JobDetails(jobId).History.Select(h => h.StateName).Reverse().ToList();
        history.Should().ContainInOrder(
            EnqueuedState.StateName, ProcessingState.StateName, FailedState.StateName, ScheduledState.StateName,
            ProcessingState.StateName, FailedState.StateName, ScheduledState.StateName, ProcessingState.StateName, SucceededState.StateName);
        using var connection = _host.Storage.GetConnection();
        connection.GetJobParameter(jobId, "RetryCount").Should().Be("2");
    }

    [Test]
    public async Task A_continuation_runs_after_its_parent()
    {
        var parentKey = Guid.NewGuid().ToString();
        var childKey = Guid.NewGuid().ToString();
        var parent = _host.Client.Enqueue<CountingJobs>(j => j.Count(parentKey));
        var child = _host.Client.ContinueJobWith<CountingJobs>(parent, j => j.Count(childKey));

        await Eventually.Until(() => _host.StateOf(child), s => s == SucceededState.StateName, "the continuation to run");

        CountingJobs.LastRun[childKey].Should().BeOnOrAfter(CountingJobs.LastRun[parentKey]);
        _host.StateOf(parent).Should().Be(SucceededState.StateName);
    }

    [Test]
    public async Task A_job_rescheduled_from_1_to_5_seconds_runs_once_and_not_early()
    {
        var key = Guid.NewGuid().ToString();
        var jobId = _host.Client.Schedule<CountingJobs>(j => j.Count(key), TimeSpan.FromSeconds(1));
        _host.Client.Reschedule(jobId, TimeSpan.FromSeconds(5));
        var due = DateTime.UtcNow.AddSeconds(5);

        await Eventually.Until(() => _host.StateOf(jobId), s => s == SucceededState.StateName, "the rescheduled job to run", TimeSpan.FromSeconds(40));
        await Eventually.Until(async () => (await _host.QueueAttributesAsync())["ApproximateNumberOfMessages"], n => n == "0", "stale messages to be acknowledged");

        CountingJobs.RunsOf(key).Should().Be(1);
        CountingJobs.LastRun[key].Should().BeOnOrAfter(due.AddSeconds(-1), "the stale +1 s message must not run it early");
    }

    [Test]
    public async Task Two_hundred_concurrent_deliveries_each_run_exactly_once()
    {
        var prefix = Guid.NewGuid().ToString("N")[..8];
        var ids = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 8 }, (i, _) =>
        {
            ids.Add(_host.Client.Enqueue<CountingJobs>(j => j.Count($"{prefix}-{i}")));
            return ValueTask.CompletedTask;
        });

        await Eventually.Until(
            () => ids.Count(id => _host.StateOf(id) == SucceededState.StateName),
            n => n == 200,
            "all 200 jobs to succeed",
            TimeSpan.FromMinutes(3));

        Enumerable.Range(0, 200).Select(i => CountingJobs.RunsOf($"{prefix}-{i}")).Should().AllBeEquivalentTo(1);
        await Eventually.Until(async () => (await _host.QueueAttributesAsync())["ApproximateNumberOfMessages"], n => n == "0", "the queue to drain");
    }

    [Test]
    public async Task A_retry_message_carries_the_retry_count_and_due_time_that_it_was_signed_with()
    {
        var key = Guid.NewGuid().ToString();
        var jobId = _host.Client.Enqueue<CountingJobs>(j => j.FailTwice(key));
        await Eventually.Until(() => _host.StateOf(jobId), s => s == SucceededState.StateName, "the job to finish", TimeSpan.FromSeconds(60));

        var scheduled = _host.Storage.GetMonitoringApi().JobDetails(jobId).History.Where(h => h.StateName == ScheduledState.StateName).ToList();
        scheduled.Should().HaveCount(2);
        scheduled.Should().OnlyContain(h => h.Reason.StartsWith("Retry attempt", StringComparison.Ordinal));
        MessageAttributeNames.Signed.Should().Contain([MessageAttributeNames.Retry, MessageAttributeNames.Due]);
    }
}
