using System.Diagnostics;
using System.Globalization;
using Hangfire.ElasticSqs.Reliability.Tests.Support;
using Hangfire.ElasticSqs.Testing;
using Hangfire.InMemory;

namespace Hangfire.ElasticSqs.Reliability.Tests.Scenarios;

/// <summary>
/// A worker instance killed with SIGKILL while jobs run: two worker processes, each with its own local sqsd inside
/// (one daemon per instance, as on Elastic Beanstalk, so the daemon dies with the instance) and its own in-memory
/// store (the zero-infrastructure deployment: jobs are imported from their signed messages). The killed instance's
/// messages stay invisible until the visibility timeout, then the surviving instance runs them (at-least-once).
/// </summary>
/// <remarks>
/// With a shared PostgreSQL store a redelivered job whose server died is answered 409 until the dead server's
/// heartbeat is older than ElasticSqsWorkerOptions.ServerTimeout: the second test shows that hold and the rerun
/// once the dead server is gone. See docs/guarantees.md, "Crash recovery with a shared inner storage".
/// </remarks>
[TestFixture]
[NonParallelizable]
public sealed class WorkerKilledTests : ScenarioTest
{
    private const int VisibilityTimeout = 12;
    private const int JobMilliseconds = 4_000;

    protected override string Scenario => "Worker killed";

    [Test]
    public async Task Jobs_of_a_killed_worker_return_after_the_visibility_timeout_and_complete_elsewhere()
    {
        const int jobs = 8;
        Checks = $"{jobs} jobs of {JobMilliseconds / 1000} s on 2 worker processes (own sqsd each, VisibilityTimeout {VisibilityTimeout} s); SIGKILL one mid-job: its messages return after the visibility timeout, the killed jobs run again to completion on the survivor, every job completes, queue and DLQ empty";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs);
        var keys = new Keys();
        var log = ExecutionLog.Create();
        using var producer = new Producer(new InMemoryStorage(), sqs, queues.Prefix, keys);
        WorkerSettings Settings(string name) => InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys, workers: 4) with
        {
            ServerName = name,
            SqsdQueueUrl = queues.Url,
            SqsdConnections = 4,
            SqsdVisibilityTimeout = VisibilityTimeout,
        };

        await using var victim = await WorkerProcess.StartAsync(Settings("victim"));
        await using var survivor = await WorkerProcess.StartAsync(Settings("survivor"));
        var names = Enumerable.Range(0, jobs).Select(i => "killed-" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        foreach (var name in names)
        {
            producer.Enqueue(log, name, JobMilliseconds);
        }

        // Kill the victim while it runs jobs (a started execution without an end).
        var running = await Eventually.Until(
            () => names.Where(n => log.Of(n).Any(r => r.ProcessId == victim.Id && r.Ended is null)).ToList(),
            r => r.Count >= 1,
            "the victim to run a job",
            TimeSpan.FromSeconds(30));
        await victim.KillAsync();
        var clock = Stopwatch.StartNew();

        await Eventually.True(() => names.All(n => log.Ends(n) >= 1), "every job to complete", TimeSpan.FromSeconds(90));
        var recovered = clock.Elapsed;
        await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the queue to be empty", TimeSpan.FromSeconds(30));

        var cut = names.Where(n => log.Of(n).Any(r => r.ProcessId == victim.Id && r.Ended is null)).ToList();
        var gaps = cut.Select(n =>
        {
            var runs = log.Of(n);
            var killedRun = runs.First(r => r.ProcessId == victim.Id && r.Ended is null);
            var rerun = runs.First(r => r.ProcessId == survivor.Id && r.Started > killedRun.Started);
            return (rerun.Started - killedRun.Started).TotalSeconds;
        }).ToList();
        var stats = await survivor.StatsAsync();
        var deadLetters = await queues.DeadLetterDepthAsync();
        Numbers = $"killed with {cut.Count} job(s) mid-run; their reruns began {string.Join("/", gaps.Select(g => g.ToString("0.0", CultureInfo.InvariantCulture)))} s after the cut runs started (visibility {VisibilityTimeout} s); all {jobs} complete {recovered.TotalSeconds:0.0} s after the kill; "
            + $"executions {names.Sum(log.Starts)} for {jobs} jobs; survivor Succeeded {stats["Succeeded"]}, Processing {stats["Processing"]}, Failed {stats["Failed"]}; DLQ {deadLetters}";

        cut.Should().NotBeEmpty();
        gaps.Should().AllSatisfy(g => g.Should().BeGreaterThan(VisibilityTimeout - 2, "a killed job's message returns only after the visibility timeout"));
        names.Should().AllSatisfy(n => log.Ends(n).Should().BeGreaterThanOrEqualTo(1, "no job is lost"));
        cut.Should().AllSatisfy(n => log.Starts(n).Should().Be(2, "a job killed mid-way runs again (at-least-once)"));
        names.Should().AllSatisfy(n => log.Overlapped(n).Should().BeFalse());
        stats["Processing"].Should().Be(0);
        stats["Failed"].Should().Be(0);
        deadLetters.Should().Be(0);
        log.Delete();
        Passed();
    }

    [Test]
    public async Task With_a_shared_store_a_killed_workers_job_is_held_with_409_until_its_server_is_known_dead_then_runs_again()
    {
        const string scenario = "Worker killed (shared PostgreSQL)";
        Checks = "worker process on PostgreSQL SIGKILLed mid-job; the job's redelivery to a live worker on the same store gets 409 while the dead server's heartbeat is fresh (younger than ServerTimeout); once the dead server is removed (Hangfire's server timeout, done by hand here) the redelivery runs it again and it Succeeds";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        var log = ExecutionLog.Create();
        using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys);
        await using var victim = await WorkerProcess.StartAsync(InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys, database, workers: 2) with { ServerName = "shared-victim" });
        await using var survivor = await InProcessWorker.StartAsync(InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys, database, workers: 2) with { ServerName = "shared-survivor" });
        var jobId = producer.Enqueue(log, "shared-killed", 3000);

        var message = await SqsdRequests.ReceiveAsync(sqs, queues.Url, visibilityTimeout: 3);
        using var victimHttp = new HttpClient { BaseAddress = victim.Url };
        var cut = victimHttp.SendAsync(SqsdRequests.Create(message.Body, SqsdRequests.Attributes(message)));
        await Eventually.True(() => log.Starts("shared-killed") == 1, "the job to start on the victim");
        await victim.KillAsync();
        await FluentActions.Awaiting(() => cut).Should().ThrowAsync<HttpRequestException>();

        using var survivorHttp = new HttpClient { BaseAddress = survivor.Url, Timeout = TimeSpan.FromSeconds(60) };
        var returned = await SqsdRequests.ReceiveAsync(sqs, queues.Url, visibilityTimeout: 30);
        int held;
        using (var response = await survivorHttp.SendAsync(SqsdRequests.Create(returned.Body, SqsdRequests.Attributes(returned), receiveCount: 2)))
        {
            held = (int)response.StatusCode;
        }

        var stateWhileHeld = producer.StateOf(jobId);
        using (var connection = producer.Storage.GetConnection())
        {
            var serverId = connection.GetStateData(jobId).Data["ServerId"];
            connection.RemoveServer(serverId);
        }

        int rerun;
        using (var response = await survivorHttp.SendAsync(SqsdRequests.Create(returned.Body, SqsdRequests.Attributes(returned), receiveCount: 3)))
        {
            rerun = (int)response.StatusCode;
        }

        await sqs.DeleteMessageAsync(queues.Url, returned.ReceiptHandle);
        Numbers = $"redelivery while the dead server's heartbeat is fresh: {held} (job {stateWhileHeld}); after the dead server is removed: {rerun}, job {producer.StateOf(jobId)}; executions {log.Starts("shared-killed")} (ended {log.Ends("shared-killed")})";
        held.Should().Be(409);
        stateWhileHeld.Should().Be("Processing");
        rerun.Should().Be(200);
        producer.StateOf(jobId).Should().Be("Succeeded");
        log.Starts("shared-killed").Should().Be(2, "the killed run and the rerun");
        log.Ends("shared-killed").Should().Be(1);
        log.Delete();
        Summary.Pass(scenario, Checks, Numbers);
    }
}
