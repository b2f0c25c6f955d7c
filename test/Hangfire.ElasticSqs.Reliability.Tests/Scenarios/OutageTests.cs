using System.Diagnostics;
using System.Globalization;
using Hangfire.ElasticSqs.Reliability.Tests.Support;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Reliability.Tests.Scenarios;

/// <summary>
/// Outages with their own servers (so the shared ones stay up): SQS (moto stopped and restarted) while jobs are
/// enqueued, and the PostgreSQL inner storage (pg_ctl stop/start in place) while jobs are delivered.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class OutageTests : ScenarioTest
{
    private string _scenario = "Outage";

    protected override string Scenario => _scenario;

    [Test]
    public async Task Sqs_outage_during_enqueue_keeps_accepted_jobs_pending_and_sends_them_after_recovery()
    {
        _scenario = "SQS outage (enqueue)";
        const int before = 5;
        const int during = 10;
        Checks = $"moto stopped while {during} jobs are enqueued (SendFailureMode.KeepPending, outbox sweep 1 s) and 1 with SendFailureMode.Throw, then restarted (queues re-created): every accepted job shows Enqueued during the outage and Succeeds once after it; the Throw-mode caller gets an exception and that job is Failed, never run";
        await using var moto = await MotoServer.StartAsync();
        using var sqs = moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        var log = ExecutionLog.Create();
        var settings = InProcessWorker.Settings_(moto, queues.Prefix, keys, database, workers: 5);
        await using var worker = await InProcessWorker.StartAsync(settings);
        await using var proxy = await ReverseProxy.StartAsync(TimeSpan.FromMinutes(1), worker.Url);
        void Fast(ElasticSqsStorageOptions o)
        {
            o.OutboxSweepInterval = TimeSpan.FromSeconds(1);
            o.OutboxResendAfter = TimeSpan.FromSeconds(2);
        }

        using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys, Fast);
        using var throwing = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys, o =>
        {
            Fast(o);
            o.SendFailureMode = SendFailureMode.Throw;
        });
        await using var sqsd = await Sqsd.StartAsync(sqs, queues.Url, proxy.Url, connections: 10, visibilityTimeout: 60);

        var ids = new List<string>();
        for (var i = 0; i < before; i++)
        {
            ids.Add(producer.Enqueue(log, "sqs-before-" + i.ToString(CultureInfo.InvariantCulture), 0));
        }

        await Eventually.True(() => ids.All(id => producer.StateOf(id) == "Succeeded"), "the jobs enqueued before the outage to succeed");

        await moto.StopAsync();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < during; i++)
        {
            ids.Add(producer.Enqueue(log, "sqs-during-" + i.ToString(CultureInfo.InvariantCulture), 0));
        }

        var enqueueDuring = clock.Elapsed;
        var statesDuring = ids.Skip(before).Select(producer.StateOf).ToList();
        Exception? thrown = null;
        try
        {
            throwing.Enqueue(log, "sqs-throw", 0);
        }
        catch (BackgroundJobClientException ex)
        {
            thrown = ex;
        }

        // SQS stays down until every send attempted during the outage has failed, leaving its record for the sweeper.
        await producer.Storage.BackgroundSends.WhenIdleAsync();
        await moto.RestartAsync();
        await WorkerQueues.CreateAsync(sqs, prefix: queues.Prefix);
        var outage = clock.Elapsed;
        await Eventually.True(() => ids.All(id => producer.StateOf(id) == "Succeeded"), "every accepted job to succeed after the outage", TimeSpan.FromSeconds(90));
        var recovered = clock.Elapsed - outage;
        await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the queue to be empty", TimeSpan.FromSeconds(30));
        var names = Enumerable.Range(0, before).Select(i => "sqs-before-" + i.ToString(CultureInfo.InvariantCulture))
            .Concat(Enumerable.Range(0, during).Select(i => "sqs-during-" + i.ToString(CultureInfo.InvariantCulture))).ToList();
        var starts = names.Select(log.Starts).ToList();
        var failed = producer.Storage.InnerStorage.GetMonitoringApi().FailedCount();
        Numbers = $"{during} enqueues during the outage returned in {enqueueDuring.TotalSeconds:0.0} s, states [{string.Join(",", statesDuring.Distinct())}]; Throw mode: {thrown?.GetType().Name ?? "no exception"}, Failed jobs {failed}; "
            + $"outage {outage.TotalSeconds:0.0} s; all {before + during} Succeeded {recovered.TotalSeconds:0.0} s after recovery; executions {starts.Sum()} (max {starts.Max()}); throw-mode job runs {log.Starts("sqs-throw")}; sqsd answered {proxy.Describe()}";

        statesDuring.Should().AllBe("Enqueued", "an accepted job is durably pending and the Dashboard shows it Enqueued");
        thrown.Should().NotBeNull("SendFailureMode.Throw does not lie to the caller");
        failed.Should().Be(1, "the job whose enqueue threw is moved to Failed");
        starts.Should().AllSatisfy(s => s.Should().Be(1));
        log.Starts("sqs-throw").Should().Be(0, "a job whose enqueue threw never runs behind the caller's back");
        (await queues.DeadLetterDepthAsync()).Should().Be(0);
        log.Delete();
        Passed();
    }

    [Test]
    public async Task Inner_storage_outage_during_delivery_answers_non_200_and_every_job_succeeds_after_recovery()
    {
        _scenario = "PostgreSQL outage (delivery)";
        const int jobs = 20;
        Checks = $"{jobs} jobs of 1.5 s delivered by sqsd (10 connections) to a worker (5 workers) on PostgreSQL; PostgreSQL stopped (pg_ctl -m fast: sessions killed) mid-run for ~6 s, then restarted: deliveries in flight wait and are answered after recovery, new deliveries during the outage get 503 and stay on the queue, every job Succeeded after recovery, none lost, queue and DLQ empty";
        await using var pg = await PostgresServer.StartAsync();
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync(pg);
        var log = ExecutionLog.Create();
        await using var worker = await InProcessWorker.StartAsync(InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys, database, workers: 5));
        await using var proxy = await ReverseProxy.StartAsync(TimeSpan.FromMinutes(2), worker.Url);
        using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys);
        var names = Enumerable.Range(0, jobs).Select(i => "pg-" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        var ids = names.Select(n => producer.Enqueue(log, n, 1500)).ToList();
        await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == jobs, "every message on the queue");

        await using var sqsd = await Sqsd.StartAsync(sqs, queues.Url, proxy.Url, connections: 10, visibilityTimeout: 120, errorVisibilityTimeout: 1);
        await Eventually.True(() => names.Count(n => log.Starts(n) > 0) >= 5, "five jobs to start", TimeSpan.FromSeconds(30));
        var before = new Dictionary<int, int>(proxy.Statuses);
        await PostgresControl.StopAsync(pg);
        var clock = Stopwatch.StartNew();

        // sqsd's connections are all busy with deliveries waiting for the storage, so new deliveries are made by hand
        // (as sqsd would, from messages still on the queue): each must get a non-200 and stay on the queue.
        var direct = new List<int>();
        using (var http = new HttpClient { BaseAddress = worker.Url, Timeout = TimeSpan.FromSeconds(60) })
        {
            for (var i = 0; i < 3; i++)
            {
                var message = await SqsdRequests.ReceiveAsync(sqs, queues.Url, visibilityTimeout: 8);
                using var response = await http.SendAsync(SqsdRequests.Create(message.Body, SqsdRequests.Attributes(message)));
                direct.Add((int)response.StatusCode);
            }
        }

        var remaining = TimeSpan.FromSeconds(6) - clock.Elapsed;
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining);
        }

        var during = proxy.Statuses.ToDictionary(s => s.Key, s => s.Value - before.GetValueOrDefault(s.Key));
        foreach (var status in direct)
        {
            during[status] = during.GetValueOrDefault(status) + 1;
        }
        await PostgresControl.StartAsync(pg);
        var outage = clock.Elapsed;

        string States()
        {
            try
            {
                return string.Join(" ", ids.Select(producer.StateOf).GroupBy(s => s ?? "(none)").Select(g => $"{g.Key}×{g.Count()}"));
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException)
            {
                return "unreadable";
            }
        }

        try
        {
            await Eventually.Until(States, s => s == $"Succeeded×{jobs}", "every job Succeeded after the outage", TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            Numbers = $"states {States()}; executions {names.Sum(log.Starts)} (ended {names.Sum(log.Ends)}); answered during the outage: {string.Join(" ", during.Where(d => d.Value > 0).OrderBy(d => d.Key).Select(d => $"{d.Key}×{d.Value}"))}; overall {proxy.Describe()}; queue {await queues.DepthAsync()}";
            throw;
        }
        var recovered = clock.Elapsed - outage;
        await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the queue to be empty", TimeSpan.FromSeconds(30));
        var starts = names.Select(log.Starts).ToList();
        var stats = producer.Storage.InnerStorage.GetMonitoringApi().GetStatistics();
        var deadLetters = await queues.DeadLetterDepthAsync();
        Numbers = $"outage {outage.TotalSeconds:0.0} s; new deliveries during it answered [{string.Join(",", direct)}]; all answers during it: {string.Join(" ", during.Where(d => d.Value > 0).OrderBy(d => d.Key).Select(d => $"{d.Key}×{d.Value}"))}; all {jobs} Succeeded {recovered.TotalSeconds:0.0} s after restart; "
            + $"executions {starts.Sum()} for {jobs} jobs (max {starts.Max()}; >1 = at-least-once re-run); Succeeded {stats.Succeeded}, Failed {stats.Failed}; overall {proxy.Describe()}; DLQ {deadLetters}";

        direct.Should().AllSatisfy(d => d.Should().Be(503, "a delivery that arrives while the inner storage is unreachable gets 503"));
        during.Keys.Where(k => during[k] > 0).Should().OnlyContain(k => k == 200 || k == 503, "an outage is answered 503 (never 4xx, which would not be retried as an outage)");
        starts.Should().AllSatisfy(s => s.Should().BeGreaterThanOrEqualTo(1));
        stats.Succeeded.Should().Be(jobs);
        stats.Failed.Should().Be(0);
        deadLetters.Should().Be(0);
        log.Delete();
        Passed();
    }
}
