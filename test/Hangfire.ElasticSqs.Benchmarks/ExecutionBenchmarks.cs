using System.Collections.Concurrent;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.ElasticSqs.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>
/// (2) Execution on InMemory and (3) on PostgreSQL: no-op jobs POSTed sqsd-style to the endpoint by a load generator
/// with 50 connections, vs the same jobs on a stock BackgroundJobServer with the same worker count (vs an empty
/// Kestrel endpoint answering 200, the HTTP floor).
/// </summary>
internal static class ExecutionBenchmarks
{
    public const int Connections = 50;

    public static async Task RunInMemoryAsync(Report report, Settings settings)
    {
        const string name = "2 Execution, InMemory";
        Console.WriteLine("== (2) Execution on InMemory");
        var jobs = settings.ExecutionJobs;
        await using var standIn = await SqsStandIn.StartAsync();
        using var sqs = WorkerApp.Client(standIn.Url);

        // Baseline: stock BackgroundJobServer + InMemory, same worker count, same jobs.
        var stock = new List<double>();
        for (var round = 0; round <= settings.Rounds; round++)
        {
            var rate = await StockRoundAsync(new InMemoryStorage(), jobs, settings.WorkerCount, new BackgroundJobServerOptions());
            if (round > 0)
            {
                stock.Add(rate); // round 0 warms up
            }
        }

        var stockRow = report.Add(name, $"stock BackgroundJobServer + InMemory, {settings.WorkerCount} workers", "none", stock, "jobs/s", null);

        // The endpoint: sqsd-style POSTs through the channel bridge to the same kind of worker.
        // Rounds alternate HTTP and in-process (the same dispatcher called directly: the channel bridge without HTTP).
        var endpointRounds = new List<double>();
        var channelRounds = new List<double>();
        await using (var app = await WorkerApp.StartAsync(new InMemoryStorage(), sqs, "x-", settings.WorkerCount))
        {
            using var load = new LoadGenerator(app.Url, Connections);
            var dispatcher = app.Services.GetRequiredService<Worker.Delivery.DeliveryDispatcher>();
            for (var round = 0; round <= settings.Rounds; round++)
            {
                var messages = await PrepareAsync(app.Storage, standIn, jobs);
                var elapsed = await load.DeliverAsync(messages);
                var direct = await PrepareAsync(app.Storage, standIn, jobs);
                var inProcess = await DispatchDirectAsync(dispatcher, direct);
                if (round > 0)
                {
                    endpointRounds.Add(jobs / elapsed.TotalSeconds);
                    channelRounds.Add(jobs / inProcess.TotalSeconds);
                }
            }
        }

        var endpointRow = report.Add(name, $"ElasticSqs sqsd endpoint (HTTP, {Connections} conns) + InMemory, {settings.WorkerCount} workers", "none (deliveries POSTed)", endpointRounds, "jobs/s", stockRow);
        report.Add(name, $"ElasticSqs channel bridge in-process, no HTTP ({Connections} concurrent), {settings.WorkerCount} workers", "none", channelRounds, "jobs/s", stockRow);

        // The HTTP floor: an empty Kestrel endpoint answering 200, same generator, same message bodies.
        var emptyRounds = new List<double>();
        await using (var empty = await WorkerApp.StartEmptyAsync())
        {
            using var load = new LoadGenerator(empty.Url, Connections);
            standIn.Capture = new ConcurrentQueue<CapturedMessage>();
            var messages = await PrepareAsync(new ElasticSqsStorage(new InMemoryStorage(), EnqueueBenchmark.Options("x-"), sqs), standIn, jobs);
            for (var round = 0; round <= settings.Rounds; round++)
            {
                var elapsed = await load.DeliverAsync(messages);
                if (round > 0)
                {
                    emptyRounds.Add(jobs / elapsed.TotalSeconds);
                }
            }
        }

        var emptyRow = report.Add(name, $"empty Kestrel endpoint answering 200 ({Connections} conns)", "none", emptyRounds, "req/s", stockRow);

        report.Judge("InMemory: endpoint execution ≥ 0.5× stock in-process server", endpointRow.Ratio!.Value, 0.5, atLeast: true,
            $"{endpointRow.Ratio:0.00}× ({Report.Format(endpointRow.Median)} vs {Report.Format(stockRow.Median)} jobs/s)");
        var costRatio = emptyRow.Median / endpointRow.Median;
        report.Judge("InMemory: endpoint cost per job ≤ 3× empty Kestrel's", costRatio, 3, atLeast: false,
            $"{costRatio:0.00}× ({1000 / endpointRow.Median:0.000} vs {1000 / emptyRow.Median:0.000} ms per job)");
    }

    public static async Task RunPostgreSqlAsync(Report report, Settings settings)
    {
        const string name = "3 Execution, PostgreSQL";
        Console.WriteLine("== (3) Execution on PostgreSQL");
        var jobs = settings.PostgresJobs;
        await using var postgres = await PostgresServer.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("bench");
        await using var standIn = await SqsStandIn.StartAsync();
        using var sqs = WorkerApp.Client(standIn.Url);

        PostgreSqlStorage Storage(string schema, Action<PostgreSqlStorageOptions>? tune = null)
        {
            var options = new PostgreSqlStorageOptions { SchemaName = schema, PrepareSchemaIfNecessary = true };
            tune?.Invoke(options);
            return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options);
        }

        // Baselines: stock BackgroundJobServer on Hangfire.PostgreSql, default and tuned polling.
        var stockDefault = new List<double>();
        var stockTuned = new List<double>();
        var defaultStorage = Storage("hf_stock");
        var tunedStorage = Storage("hf_stock_tuned", o => o.QueuePollInterval = TimeSpan.FromMilliseconds(50));
        for (var round = 0; round <= settings.PostgresRounds; round++)
        {
            var a = await StockRoundAsync(defaultStorage, jobs, settings.WorkerCount, new BackgroundJobServerOptions());
            var b = await StockRoundAsync(tunedStorage, jobs, settings.WorkerCount, new BackgroundJobServerOptions());
            if (round > 0)
            {
                stockDefault.Add(a);
                stockTuned.Add(b);
            }
        }

        var defaultRow = report.Add(name, $"stock BackgroundJobServer + PostgreSql (default QueuePollInterval 15 s), {settings.WorkerCount} workers", "none", stockDefault, "jobs/s", null);
        var tunedRow = report.Add(name, $"stock BackgroundJobServer + PostgreSql (QueuePollInterval 50 ms, the lowest it accepts), {settings.WorkerCount} workers", "none", stockTuned, "jobs/s", defaultRow);

        var endpointRounds = new List<double>();
        await using (var app = await WorkerApp.StartAsync(Storage("hf_endpoint"), sqs, "x-", settings.WorkerCount))
        {
            using var load = new LoadGenerator(app.Url, Connections);
            for (var round = 0; round <= settings.PostgresRounds; round++)
            {
                var messages = await PrepareAsync(app.Storage, standIn, jobs);
                var elapsed = await load.DeliverAsync(messages);
                if (round > 0)
                {
                    endpointRounds.Add(jobs / elapsed.TotalSeconds);
                }
            }
        }

        var endpointRow = report.Add(name, $"ElasticSqs sqsd endpoint (HTTP, {Connections} conns) + PostgreSql, {settings.WorkerCount} workers", "none (deliveries POSTed)", endpointRounds, "jobs/s", defaultRow);
        var vsTuned = endpointRow.Median / tunedRow.Median;
        report.Judge("PostgreSQL: endpoint execution ≥ 1.0× stock server (default polling)", endpointRow.Ratio!.Value, 1.0, atLeast: true,
            $"{endpointRow.Ratio:0.00}× ({Report.Format(endpointRow.Median)} vs {Report.Format(defaultRow.Median)} jobs/s)");
        report.Judge("PostgreSQL: endpoint execution ≥ 1.0× stock server (tuned polling)", vsTuned, 1.0, atLeast: true,
            $"{vsTuned:0.00}× ({Report.Format(endpointRow.Median)} vs {Report.Format(tunedRow.Median)} jobs/s)");
    }

    /// <summary>The endpoint's dispatcher called directly (no HTTP, no signature check): the channel bridge's own cost.</summary>
    private static async Task<TimeSpan> DispatchDirectAsync(Worker.Delivery.DeliveryDispatcher dispatcher, List<CapturedMessage> messages)
    {
        var envelopes = messages.Select(m => Messages.JobEnvelope.Parse(System.Text.Encoding.UTF8.GetBytes(m.Body))).ToList();
        var next = -1;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(async _ =>
        {
            await Task.Yield();
            int i;
            while ((i = Interlocked.Increment(ref next)) < envelopes.Count)
            {
                var result = await dispatcher.DispatchAsync(envelopes[i], 0, null);
                if (result.HttpStatus != 200)
                {
                    throw new InvalidOperationException($"in-process delivery answered {result.HttpStatus}: {result.Reason}");
                }
            }
        }));
        return watch.Elapsed;
    }

    /// <summary>Enqueues <paramref name="jobs"/> no-op jobs through the storage and returns their SQS messages as the stand-in received them.</summary>
    public static async Task<List<CapturedMessage>> PrepareAsync(ElasticSqsStorage storage, SqsStandIn standIn, int jobs)
    {
        var capture = new ConcurrentQueue<CapturedMessage>();
        standIn.Capture = capture;
        var client = new BackgroundJobClient(storage);
        var next = -1;
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            while (Interlocked.Increment(ref next) < jobs)
            {
                client.Enqueue(() => Jobs.NoOp());
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        standIn.Capture = null;
        await Task.Yield();
        return capture.Count == jobs ? [.. capture] : throw new InvalidOperationException($"{capture.Count} messages captured for {jobs} jobs");
    }

    /// <summary>A backlog of no-op jobs run by a stock server: jobs/s from the first Processing to the last Succeeded.</summary>
    public static async Task<double> StockRoundAsync(JobStorage storage, int jobs, int workerCount, BackgroundJobServerOptions options)
    {
        var client = new BackgroundJobClient(storage);
        for (var i = 0; i < jobs; i++)
        {
            client.Enqueue(() => Jobs.NoOp());
        }

        var timer = StateTimer.Install();
        options.WorkerCount = workerCount;
        options.ServerTimeout = TimeSpan.FromMinutes(5);
        using (new BackgroundJobServer(options, storage))
        {
            await timer.WaitForAsync(jobs, TimeSpan.FromMinutes(3));
        }

        StateTimer.Install();
        return jobs / timer.Elapsed.TotalSeconds;
    }
}
