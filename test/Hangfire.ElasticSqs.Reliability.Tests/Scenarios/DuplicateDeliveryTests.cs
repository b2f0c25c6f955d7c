using System.Diagnostics;
using System.Globalization;
using Hangfire.ElasticSqs.Reliability.Tests.Support;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Reliability.Tests.Scenarios;

/// <summary>
/// Duplicate delivery of a job that is still running: a proxy with a read timeout shorter than the job (nginx's
/// proxy_read_timeout) answers 504, sqsd delivers the message again while the job runs — to the same worker or to
/// another one sharing the PostgreSQL storage. A 15 s job behind a 5 s timeout is shortened to 8 s behind
/// 3 s (same ratio, less wall-clock time).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DuplicateDeliveryTests : ScenarioTest
{
    private const int JobMilliseconds = 8_000;
    private static readonly TimeSpan ProxyTimeout = TimeSpan.FromSeconds(3);

    protected override string Scenario => "Duplicate delivery";

    [Test]
    public async Task A_job_redelivered_while_it_runs_never_runs_twice_at_once_and_succeeds_once()
    {
        const int jobs = 3;
        Checks = $"{jobs} jobs of {JobMilliseconds / 1000} s behind a proxy with a {ProxyTimeout.TotalSeconds:0} s read timeout (504), round-robin to 2 workers sharing PostgreSQL, sqsd error visibility 1 s: redeliveries answered 409 while running, each job executed once, no overlap, Succeeded, queue and DLQ empty";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        var log = ExecutionLog.Create();
        await using var first = await InProcessWorker.StartAsync(InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys, database, workers: 4) with { ServerName = "dup-a" });
        await using var second = await InProcessWorker.StartAsync(InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys, database, workers: 4) with { ServerName = "dup-b" });
        await using var proxy = await ReverseProxy.StartAsync(ProxyTimeout, first.Url, second.Url);
        using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys);

        var ids = Enumerable.Range(0, jobs).Select(i => producer.Enqueue(log, "dup-" + i.ToString(CultureInfo.InvariantCulture), JobMilliseconds)).ToList();
        var clock = Stopwatch.StartNew();
        await using (var sqsd = await Sqsd.StartAsync(sqs, queues.Url, proxy.Url, connections: 10, visibilityTimeout: 60, errorVisibilityTimeout: 1))
        {
            await Eventually.True(() => ids.All(id => producer.StateOf(id) == "Succeeded"), "every job Succeeded", TimeSpan.FromSeconds(60));
            await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the queue to be empty", TimeSpan.FromSeconds(30));
        }

        var keysRun = Enumerable.Range(0, jobs).Select(i => "dup-" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        var starts = keysRun.Select(log.Starts).ToList();
        var overlaps = keysRun.Count(log.Overlapped);
        var deadLetters = await queues.DeadLetterDepthAsync();
        Numbers = $"{jobs} jobs done in {clock.Elapsed.TotalSeconds:0.0} s; sqsd answered {proxy.Describe()}; executions per job [{string.Join(", ", starts)}], overlaps {overlaps}; DLQ {deadLetters}";

        proxy.Count(504).Should().BeGreaterThanOrEqualTo(jobs, "each job outlived the proxy's timeout at least once");
        proxy.Count(409).Should().BeGreaterThan(0, "redeliveries of running jobs are answered 409");
        starts.Should().AllSatisfy(s => s.Should().Be(1));
        overlaps.Should().Be(0);
        keysRun.Select(log.Ends).Should().AllSatisfy(e => e.Should().Be(1));
        deadLetters.Should().Be(0);
        log.Delete();
        Passed();
    }
}
