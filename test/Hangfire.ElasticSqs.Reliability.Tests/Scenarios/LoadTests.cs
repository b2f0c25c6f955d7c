using System.Diagnostics;
using System.Globalization;
using Hangfire.ElasticSqs.Reliability.Tests.Support;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Reliability.Tests.Scenarios;

/// <summary>
/// Load: N jobs enqueued by concurrent producers, delivered by one local sqsd (50 connections) through a
/// round-robin proxy to two worker processes sharing one PostgreSQL inner storage. N is 2,000 by default, so that the
/// whole CI run stays within its 10 minutes: moto, not the library, limits the rate on a 2-core machine (figures in
/// docs/guarantees.md, "Test sizes"). <c>RELIABILITY_LOAD_JOBS=10000</c> runs the full-size test.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class LoadTests : ScenarioTest
{
    public const int DefaultJobs = 2_000;

    protected override string Scenario => "Load";

    [Test]
    public async Task Every_job_succeeds_exactly_once_and_nothing_is_left_on_the_queue_or_in_the_dead_letter_queue()
    {
        var jobs = int.TryParse(Environment.GetEnvironmentVariable("RELIABILITY_LOAD_JOBS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : DefaultJobs;
        const int producers = 8;
        Checks = $"{jobs:N0} jobs, {producers} concurrent producers, local sqsd 50 connections -> proxy -> 2 worker processes (25 workers each) on one PostgreSQL: each Succeeded once, executed once, queue and DLQ empty";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        var log = ExecutionLog.Create();
        var workers = new List<WorkerProcess>();
        try
        {
            foreach (var name in new[] { "load-a", "load-b" })
            {
                workers.Add(await WorkerProcess.StartAsync(InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys, database, workers: 25) with { ServerName = name }));
            }

            await using var proxy = await ReverseProxy.StartAsync(TimeSpan.FromMinutes(2), workers.Select(w => w.Url).ToArray());
            using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys);
            await using var sqsd = await Sqsd.StartAsync(sqs, queues.Url, proxy.Url, connections: 50, visibilityTimeout: 120);

            // Enqueues do not wait for SQS, so producers on their own would run far ahead of the workers; moto slows
            // down as its queue fills (real SQS does not), so the producers stay at most a window ahead.
            const int window = 100;
            var monitor = producer.Storage.InnerStorage.GetMonitoringApi();
            var clock = Stopwatch.StartNew();
            var ids = new string[jobs];
            await Parallel.ForAsync(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = producers }, async (i, _) =>
            {
                if (i % 10 == 0 && i >= window)
                {
                    await Eventually.True(() => i - monitor.SucceededListCount() < window, "the workers to keep up with the producers", TimeSpan.FromMinutes(2));
                }

                ids[i] = producer.Enqueue(log, "load-" + i.ToString(CultureInfo.InvariantCulture), 0);
            });
            var enqueued = clock.Elapsed;

            await Eventually.True(() => monitor.SucceededListCount() >= jobs, $"{jobs} jobs to succeed", TimeSpan.FromSeconds(30 + (jobs / 5)));
            var delivered = clock.Elapsed;

            var notSucceeded = ids.Where(id => producer.StateOf(id) != "Succeeded").ToList();
            var runs = Enumerable.Range(0, jobs).Select(i => log.Starts("load-" + i.ToString(CultureInfo.InvariantCulture))).ToList();
            await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the queue to be empty (batched deletes)", TimeSpan.FromSeconds(30));
            var deadLetters = await queues.DeadLetterDepthAsync();
            var stats = monitor.GetStatistics();
            Numbers = $"{jobs:N0} jobs; produced in {enqueued.TotalSeconds:0.0} s, at most {window:N0} ahead of the workers; all Succeeded after {delivered.TotalSeconds:0.0} s ({jobs / delivered.TotalSeconds:0} jobs/s end to end); "
                + $"executions {runs.Sum()} (max per job {runs.Max()}); Succeeded {stats.Succeeded}, Failed {stats.Failed}; queue 0, DLQ {deadLetters}; sqsd answered {proxy.Describe()}";
            await TestContext.Progress.WriteLineAsync("Load: " + Numbers);

            notSucceeded.Should().BeEmpty();
            runs.Should().AllSatisfy(r => r.Should().Be(1, "no job executes twice and none is lost"));
            stats.Succeeded.Should().Be(jobs);
            stats.Failed.Should().Be(0);
            deadLetters.Should().Be(0);
            Passed();
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }

            log.Delete();
        }
    }
}
