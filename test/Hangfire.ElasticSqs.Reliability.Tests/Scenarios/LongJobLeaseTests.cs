using System.Diagnostics;
using System.Globalization;
using Hangfire.ElasticSqs.Reliability.Tests.Support;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Reliability.Tests.Scenarios;

/// <summary>
/// Jobs longer than nginx's read timeout on a shared PostgreSQL store: the endpoint holds a delivery up to
/// ElasticSqsWorkerOptions.LeaseAfter, then answers 200 and the job goes on under a lease (its Processing state on a
/// live server). The issue's 20 s job behind a 3 s proxy timeout with a 45 s bound is scaled down to a 2 s bound
/// (1 s where the proxy is not involved) and jobs of 3–8 s: the same order (bound &lt; proxy timeout &lt; job), in
/// less wall-clock time.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class LongJobLeaseTests : ScenarioTest
{
    private static readonly TimeSpan ProxyTimeout = TimeSpan.FromSeconds(3);

    protected override string Scenario => "Long jobs under a lease";

    [Test]
    public async Task A_job_longer_than_the_proxy_timeout_is_answered_200_at_the_bound_and_runs_once()
    {
        const int jobMilliseconds = 8_000;
        Checks = $"one {jobMilliseconds / 1000} s job behind a proxy with a {ProxyTimeout.TotalSeconds:0} s read timeout, LeaseAfter 2 s, PostgreSQL, MaxRetries 3: answered 200 once (no 504, no 409), message deleted while the job is still Processing, executed once, Succeeded, DLQ empty";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs, maxRetries: 3);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        var log = ExecutionLog.Create();
        await using var worker = await InProcessWorker.StartAsync(InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys, database, workers: 2) with { ServerName = "lease-one", LeaseAfterSeconds = 2 });
        await using var proxy = await ReverseProxy.StartAsync(ProxyTimeout, worker.Url);
        using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys);
        var jobId = producer.Enqueue(log, "leased", jobMilliseconds);

        var clock = Stopwatch.StartNew();
        await using (var sqsd = await Sqsd.StartAsync(sqs, queues.Url, proxy.Url, connections: 2, visibilityTimeout: 30, errorVisibilityTimeout: 1))
        {
            // Started first: before the (background) send, an empty queue would mean nothing.
            await Eventually.True(() => log.Starts("leased") == 1 && queues.DepthAsync().GetAwaiter().GetResult() == 0, "the job to run and its message to be deleted", TimeSpan.FromSeconds(30));
            var deletedAfter = clock.Elapsed;
            var stateWhenDeleted = producer.StateOf(jobId);
            var runningWhenDeleted = log.Of("leased").Count(r => r.Ended is null);
            await Eventually.True(() => producer.StateOf(jobId) == "Succeeded", "the job to succeed", TimeSpan.FromSeconds(30));
            var deadLetters = await queues.DeadLetterDepthAsync();
            Numbers = $"message deleted {deletedAfter.TotalSeconds:0.0} s after sqsd started, job then {stateWhenDeleted} (running: {runningWhenDeleted}); Succeeded after {clock.Elapsed.TotalSeconds:0.0} s; sqsd answered {proxy.Describe()}; executions {log.Starts("leased")}; DLQ {deadLetters}";

            stateWhenDeleted.Should().Be("Processing", "the message is deleted while the job still runs");
            runningWhenDeleted.Should().Be(1);
            proxy.Count(200).Should().Be(1);
            proxy.Count(504).Should().Be(0, "the bound is below the proxy's timeout");
            proxy.Count(409).Should().Be(0, "the message is gone, so nothing is delivered again while the job runs");
            log.Starts("leased").Should().Be(1);
            log.Ends("leased").Should().Be(1);
            deadLetters.Should().Be(0);
        }

        log.Delete();
        Passed();
    }

    [Test]
    public async Task A_burst_of_three_times_WorkerCount_long_jobs_leaves_nothing_in_the_dead_letter_queue()
    {
        const int workers = 2;
        const int jobs = 3 * workers;
        const int jobMilliseconds = 4_000;
        Checks = $"burst of {jobs} jobs of {jobMilliseconds / 1000} s (3 x WorkerCount {workers}) behind a {ProxyTimeout.TotalSeconds:0} s proxy, sqsd {jobs} connections, LeaseAfter 2 s, MaxRetries 10: deliveries that find every worker busy are held up to the bound before 503; each job executed once, no overlap, all Succeeded, no 504, queue and DLQ empty";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs, maxRetries: 10);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        var log = ExecutionLog.Create();
        await using var worker = await InProcessWorker.StartAsync(InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys, database, workers: workers) with { ServerName = "lease-burst", LeaseAfterSeconds = 2 });
        await using var proxy = await ReverseProxy.StartAsync(ProxyTimeout, worker.Url);
        using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys);
        var names = Enumerable.Range(0, jobs).Select(i => "burst-" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        var ids = names.Select(n => producer.Enqueue(log, n, jobMilliseconds)).ToList();

        var clock = Stopwatch.StartNew();
        await using (var sqsd = await Sqsd.StartAsync(sqs, queues.Url, proxy.Url, connections: jobs, visibilityTimeout: 60, errorVisibilityTimeout: 1))
        {
            await Eventually.True(() => ids.All(id => producer.StateOf(id) == "Succeeded"), "every job to succeed", TimeSpan.FromSeconds(60));
            await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the queue to be empty", TimeSpan.FromSeconds(30));
        }

        var starts = names.Select(log.Starts).ToList();
        var deadLetters = await queues.DeadLetterDepthAsync();
        var unavailable = proxy.Count(503);
        Numbers = $"{jobs} jobs done in {clock.Elapsed.TotalSeconds:0.0} s (at best {jobs / workers * jobMilliseconds / 1000} s on {workers} workers); sqsd answered {proxy.Describe()} ({unavailable} receives spent waiting for a worker, {(double)unavailable / jobs:0.0} per job, MaxRetries 10); executions per job [{string.Join(", ", starts)}]; DLQ {deadLetters}";

        starts.Should().AllSatisfy(s => s.Should().Be(1));
        names.Should().AllSatisfy(n => log.Overlapped(n).Should().BeFalse());
        proxy.Count(200).Should().Be(jobs, "each job's message is answered 200 once: leased or finished");
        proxy.Count(504).Should().Be(0);
        deadLetters.Should().Be(0);
        log.Delete();
        Passed();
    }

    [Test]
    public async Task A_leased_job_whose_instance_is_killed_right_after_the_200_runs_again_elsewhere_after_the_server_timeout()
    {
        const int jobMilliseconds = 3_000;
        const int serverTimeout = 4;
        Checks = $"worker process on PostgreSQL (own sqsd, LeaseAfter 1 s, heartbeat 1 s, ServerTimeout {serverTimeout} s) answers 200 for a {jobMilliseconds / 1000} s job and its message is deleted; the lease (Processing on the live server) is recorded before the 200; SIGKILL then; a new instance's lease recovery enqueues it again after the server timeout, it runs again and Succeeds; queue and DLQ empty";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs, maxRetries: 3);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        var log = ExecutionLog.Create();
        using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys);
        WorkerSettings Settings(string name) => InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys, database, workers: 2) with
        {
            ServerName = name,
            SqsdQueueUrl = queues.Url,
            SqsdConnections = 2,
            LeaseAfterSeconds = 1,
            HeartbeatIntervalSeconds = 1,
            ServerTimeoutSeconds = serverTimeout,
        };

        await using var victim = await WorkerProcess.StartAsync(Settings("lease-victim"));
        var jobId = producer.Enqueue(log, "killed-leased", jobMilliseconds);
        await Eventually.True(() => log.Starts("killed-leased") == 1 && queues.DepthAsync().GetAwaiter().GetResult() == 0, "the job to run and its message to be deleted (answered 200)", TimeSpan.FromSeconds(30));
        var lease = producer.StateDataOf(jobId);
        await victim.KillAsync();
        var clock = Stopwatch.StartNew();
        lease.Name.Should().Be("Processing", "the lease is recorded before the 200 deletes the message");
        lease.ServerId.Should().StartWith("lease-victim:");

        await using var survivor = await InProcessWorker.StartAsync(Settings("lease-survivor"));
        await Eventually.True(() => producer.StateOf(jobId) == "Succeeded", "the job to run again and succeed", TimeSpan.FromSeconds(60));
        var recovered = clock.Elapsed;
        await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the queue to be empty", TimeSpan.FromSeconds(30));
        var runs = log.Of("killed-leased");
        var history = producer.HistoryOf(jobId);
        var deadLetters = await queues.DeadLetterDepthAsync();
        Numbers = $"killed with the job Processing on {lease.ServerId?.Split(':')[0]} and its message deleted; Succeeded {recovered.TotalSeconds:0.0} s after the kill (ServerTimeout {serverTimeout} s); executions {runs.Count} (cut {runs.Count(r => r.Ended is null)}, by the survivor {runs.Count(r => r.ProcessId == Environment.ProcessId)}); DLQ {deadLetters}";

        runs.Should().HaveCount(2, "the killed run and the rerun");
        runs[0].Ended.Should().BeNull();
        runs[1].ProcessId.Should().Be(Environment.ProcessId, "the new instance runs it");
        runs[1].Ended.Should().NotBeNull();
        history.Should().Contain(h => h.StartsWith("Enqueued:", StringComparison.Ordinal) && h.Contains("stopped sending heartbeats", StringComparison.Ordinal), "lease recovery enqueued it again");
        deadLetters.Should().Be(0);
        log.Delete();
        Passed();
    }

    [Test]
    public async Task On_SIGTERM_a_leased_job_finishes_or_is_given_back_and_nothing_is_lost()
    {
        Checks = "worker process on PostgreSQL (own sqsd, LeaseAfter 1 s, ServerTimeout 60 s) runs two leased jobs, messages deleted; SIGTERM: the job that ignores cancellation finishes and Succeeds before exit, the one that observes it is given back (Enqueued again at once, not after the server timeout); a new instance runs it to Succeeded; queue and DLQ empty";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs, maxRetries: 3);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        var log = ExecutionLog.Create();
        using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys);
        WorkerSettings Settings(string name) => InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys, database, workers: 2) with
        {
            ServerName = name,
            SqsdQueueUrl = queues.Url,
            SqsdConnections = 2,
            LeaseAfterSeconds = 1,
            HeartbeatIntervalSeconds = 1,
            ServerTimeoutSeconds = 60,
            ShutdownTimeoutSeconds = 20,

            // The stopping instance's own sqsd may receive the given-back job's new message just before it dies; it
            // then reappears after this visibility timeout, as on a real instance.
            SqsdVisibilityTimeout = 5,
        };

        var stopping = await WorkerProcess.StartAsync(Settings("lease-stopping"));
        try
        {
            var finishing = producer.Enqueue(log, "finishes", 4_000);
            var givenBack = producer.EnqueueCancellable(log, "given-back", 4_000);
            await Eventually.True(
                () => log.Starts("finishes") == 1 && log.Starts("given-back") == 1 && queues.DepthAsync().GetAwaiter().GetResult() == 0,
                "both jobs to run under a lease (messages deleted)",
                TimeSpan.FromSeconds(30));
            var clock = Stopwatch.StartNew();
            stopping.Terminate();
            await stopping.WaitForExitAsync(TimeSpan.FromSeconds(40));
            var exitedAfter = clock.Elapsed;
            var finishedState = producer.StateOf(finishing);
            var givenBackState = producer.StateDataOf(givenBack);

            await using var replacement = await InProcessWorker.StartAsync(Settings("lease-replacement"));
            await Eventually.True(() => producer.StateOf(givenBack) == "Succeeded", "the given-back job to run again and succeed", TimeSpan.FromSeconds(60));
            await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the queue to be empty", TimeSpan.FromSeconds(30));
            var rerunAfter = clock.Elapsed;
            var deadLetters = await queues.DeadLetterDepthAsync();
            Numbers = $"exit {exitedAfter.TotalSeconds:0.0} s after SIGTERM, the given-back job Succeeded {rerunAfter.TotalSeconds:0.0} s after it; at exit: the finishing job {finishedState} (executions {log.Starts("finishes")}), the cancelled job {givenBackState.Name} ({givenBackState.Reason}); then on the new instance {producer.StateOf(givenBack)} (executions {log.Starts("given-back")}, completed {log.Ends("given-back")}); DLQ {deadLetters}";

            finishedState.Should().Be("Succeeded");
            log.Starts("finishes").Should().Be(1);
            log.Ends("finishes").Should().Be(1);
            givenBackState.Name.Should().Be("Enqueued", "a leased job given back is sent again at once");
            log.Starts("given-back").Should().Be(2);
            log.Ends("given-back").Should().Be(1);
            deadLetters.Should().Be(0);
        }
        finally
        {
            await stopping.DisposeAsync();
        }

        log.Delete();
        Passed();
    }
}
