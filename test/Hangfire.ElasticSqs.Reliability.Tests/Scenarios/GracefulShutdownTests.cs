using System.Diagnostics;
using System.Globalization;
using Hangfire.ElasticSqs.Reliability.Tests.Support;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Reliability.Tests.Scenarios;

/// <summary>
/// Graceful shutdown under load: SIGTERM to a worker process (what a deployment or scale-in sends) while jobs run and
/// more deliveries arrive. In-flight jobs finish and are recorded Succeeded; deliveries arriving meanwhile are not run
/// (503, or refused once the listener closed); a replacement worker then runs everything else, nothing lost.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class GracefulShutdownTests : ScenarioTest
{
    private const int JobMilliseconds = 3_000;

    protected override string Scenario => "Graceful shutdown";

    [Test]
    public async Task In_flight_jobs_finish_new_deliveries_get_503_and_nothing_is_lost()
    {
        const int jobs = 40;
        Checks = $"{jobs} jobs of {JobMilliseconds / 1000} s, worker process (5 workers) on PostgreSQL behind a proxy, sqsd 20 connections; SIGTERM mid-run: every started job ends and is Succeeded, deliveries during shutdown answered 503 (or connection refused), replacement worker completes the rest, each job executed once, queue and DLQ empty";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        var log = ExecutionLog.Create();
        var settings = InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys, database, workers: 5) with { ServerName = "graceful", ShutdownTimeoutSeconds = 30 };
        var stopping = await WorkerProcess.StartAsync(settings);
        WorkerProcess? replacement = null;
        try
        {
            await using var proxy = await ReverseProxy.StartAsync(TimeSpan.FromMinutes(2), stopping.Url);
            using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys);
            var names = Enumerable.Range(0, jobs).Select(i => "graceful-" + i.ToString(CultureInfo.InvariantCulture)).ToList();
            var ids = names.Select(n => producer.Enqueue(log, n, JobMilliseconds)).ToList();
            await using var sqsd = await Sqsd.StartAsync(sqs, queues.Url, proxy.Url, connections: 20, visibilityTimeout: 60, errorVisibilityTimeout: 1);

            await Eventually.True(() => names.Count(n => log.Starts(n) > 0) >= 5, "five jobs to run", TimeSpan.FromSeconds(30));
            await Eventually.True(() => proxy.InFlight >= 20, "all 20 sqsd connections to carry a delivery (5 running, the rest waiting for a worker)", TimeSpan.FromSeconds(30));
            var runningAtStop = names.Where(n => log.Of(n).Any(r => r.Ended is null)).ToList();
            var before = new Dictionary<int, int>(proxy.Statuses);
            var clock = Stopwatch.StartNew();
            stopping.Terminate();
            await stopping.WaitForExitAsync(TimeSpan.FromSeconds(45));
            var stoppedIn = clock.Elapsed;
            var during = proxy.Statuses.ToDictionary(s => s.Key, s => s.Value - before.GetValueOrDefault(s.Key));
            var cutShort = names.Where(n => log.Of(n).Any(r => r.ProcessId == stopping.Id && r.Ended is null)).ToList();
            var finishedOnStopping = names.Count(n => log.Of(n).Any(r => r.ProcessId == stopping.Id && r.Ended is not null));
            var runningSucceeded = runningAtStop.Count(n => producer.StateOf(ids[names.IndexOf(n)]) == "Succeeded");

            replacement = await WorkerProcess.StartAsync(settings with { Url = $"http://127.0.0.1:{FreePort.Next()}", ServerName = "replacement" });
            proxy.SetUpstreams(replacement.Url);
            await Eventually.True(() => ids.All(id => producer.StateOf(id) == "Succeeded"), "every job Succeeded", TimeSpan.FromSeconds(90));
            await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the queue to be empty", TimeSpan.FromSeconds(30));
            var starts = names.Select(log.Starts).ToList();
            var deadLetters = await queues.DeadLetterDepthAsync();
            Numbers = $"{runningAtStop.Count} running at SIGTERM, all ended and Succeeded before exit ({runningSucceeded}); exit after {stoppedIn.TotalSeconds:0.0} s; {finishedOnStopping} finished on the stopping worker; "
                + $"answered during shutdown: {string.Join(" ", during.Where(d => d.Value > 0).OrderBy(d => d.Key).Select(d => $"{d.Key}×{d.Value}"))} (502 = listener closed); executions {starts.Sum()} for {jobs} jobs (max {starts.Max()}); DLQ {deadLetters}";

            cutShort.Should().BeEmpty("in-flight jobs finish before the process exits");
            runningSucceeded.Should().Be(runningAtStop.Count);
            during.Where(d => d.Value > 0).Select(d => d.Key).Should().OnlyContain(s => s == 200 || s == 503 || s == 502, "a delivery during shutdown either completes or is refused, never runs half");
            during.GetValueOrDefault(503).Should().BeGreaterThan(0, "deliveries waiting for a worker when the shutdown began are answered 503");
            starts.Should().AllSatisfy(s => s.Should().Be(1));
            deadLetters.Should().Be(0);
            log.Delete();
            Passed();
        }
        finally
        {
            await stopping.DisposeAsync();
            if (replacement is not null)
            {
                await replacement.DisposeAsync();
            }
        }
    }
}
