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

        // Every round runs every case in turn (stock, HTTP endpoint, handler in-process, dispatcher in-process, empty
        // Kestrel) so that the machine's noise hits them alike. The first rounds warm up and are not counted: the HTTP
        // rows keep getting faster for about three rounds of 5,000 jobs (tiered JIT with dynamic PGO recompiling
        // Kestrel's, HttpClient's and Hangfire's hot paths), and a median over those would measure the JIT.
        var warmUpRounds = settings.Quick ? 1 : 3;
        var stock = new List<double>();
        var endpointRounds = new List<double>();
        var handlerRounds = new List<double>();
        var channelRounds = new List<double>();
        var emptyRounds = new List<double>();
        var pollRounds = new List<double>();
        var messagesPerReceive = new List<double>();
        var cpuPerJob = (Http: new List<double>(), Handler: new List<double>(), Bridge: new List<double>(), Empty: new List<double>(), Stock: new List<double>(), Poll: new List<double>());
        using var endpointInner = new InMemoryStorage();
        await using (var app = await WorkerApp.StartAsync(endpointInner, sqs, "x-", settings.WorkerCount))
        await using (var empty = await WorkerApp.StartEmptyAsync())
        {
            using var load = new LoadGenerator(app.Url, Connections);
            using var emptyLoad = new LoadGenerator(empty.Url, Connections);
            var dispatcher = app.Services.GetRequiredService<ElasticSqsStorage>().HandOff;
            var handler = app.Services.GetRequiredService<Worker.Delivery.SqsdEndpointHandler>();
            for (var round = 0; round < warmUpRounds + settings.Rounds; round++)
            {
                double stockRate;
                var stockUsage = ProcessCpu.Start();
                using (var stockStorage = new InMemoryStorage())
                {
                    stockRate = await StockRoundAsync(stockStorage, jobs, settings.WorkerCount, new BackgroundJobServerOptions());
                }

                var stockCpu = stockUsage.MicrosecondsPer(jobs); // enqueues and server start included

                // Poll mode: a stock BackgroundJobServer on a ReceiveFromSqs storage, its backlog seeded on the stand-in.
                double pollRate;
                double pollCpu;
                double perReceive;
                using (var pollInner = new InMemoryStorage())
                using (var pollStorage = PollModeBenchmark.Storage(pollInner, sqs, $"p{round}-"))
                {
                    await PollModeBenchmark.SeedAsync(pollStorage, standIn, $"p{round}-", jobs);
                    var pollUsage = ProcessCpu.Start();
                    var (receives, received) = (standIn.CallsOf("ReceiveMessage"), standIn.Received);
                    pollRate = await PollModeBenchmark.RunAsync(pollStorage, jobs, settings.WorkerCount);
                    pollCpu = pollUsage.MicrosecondsPer(jobs);
                    perReceive = (double)(standIn.Received - received) / Math.Max(1, standIn.CallsOf("ReceiveMessage") - receives);
                }

                var messages = await PrepareAsync(app.Storage, standIn, jobs);
                var cpu = ProcessCpu.Start();
                var http = await load.DeliverAsync(messages);
                var httpCpu = cpu.MicrosecondsPer(jobs);
                var handlerMessages = await PrepareAsync(app.Storage, standIn, jobs);
                cpu = ProcessCpu.Start();
                var viaHandler = await HandleDirectAsync(handler, handlerMessages);
                var handlerCpu = cpu.MicrosecondsPer(jobs);
                var bridgeMessages = await PrepareAsync(app.Storage, standIn, jobs);
                cpu = ProcessCpu.Start();
                var inProcess = await DispatchDirectAsync(dispatcher, bridgeMessages);
                var bridgeCpu = cpu.MicrosecondsPer(jobs);
                cpu = ProcessCpu.Start();
                var floor = await emptyLoad.DeliverAsync(messages);
                var emptyCpu = cpu.MicrosecondsPer(jobs);
                if (round >= warmUpRounds)
                {
                    stock.Add(stockRate);
                    pollRounds.Add(pollRate);
                    endpointRounds.Add(jobs / http.TotalSeconds);
                    handlerRounds.Add(jobs / viaHandler.TotalSeconds);
                    channelRounds.Add(jobs / inProcess.TotalSeconds);
                    emptyRounds.Add(jobs / floor.TotalSeconds);
                    cpuPerJob.Http.Add(httpCpu);
                    cpuPerJob.Handler.Add(handlerCpu);
                    cpuPerJob.Bridge.Add(bridgeCpu);
                    cpuPerJob.Empty.Add(emptyCpu);
                    cpuPerJob.Stock.Add(stockCpu);
                    cpuPerJob.Poll.Add(pollCpu);
                    messagesPerReceive.Add(perReceive);
                }
            }
        }

        var stockRow = report.Add(name, $"stock BackgroundJobServer + InMemory, {settings.WorkerCount} workers", "none", stock, "jobs/s", null, ProcessCpu.Note(cpuPerJob.Stock) + " (its enqueues and server start included)");
        var endpointRow = report.Add(name, $"ElasticSqs sqsd endpoint (HTTP, {Connections} conns) + InMemory, {settings.WorkerCount} workers", "none (deliveries POSTed)", endpointRounds, "jobs/s", stockRow, ProcessCpu.Note(cpuPerJob.Http));
        report.Add(name, $"ElasticSqs endpoint handler in-process (no Kestrel/sockets: gate, headers, signature, envelope, channel), {Connections} concurrent", "none", handlerRounds, "jobs/s", stockRow, ProcessCpu.Note(cpuPerJob.Handler));
        report.Add(name, $"ElasticSqs channel bridge in-process (dispatcher only, no HTTP), {Connections} concurrent", "none", channelRounds, "jobs/s", stockRow, ProcessCpu.Note(cpuPerJob.Bridge) + " (includes parsing the envelopes up front)");
        var emptyRow = report.Add(name, $"empty Kestrel endpoint answering 200 ({Connections} conns)", "none", emptyRounds, "req/s", stockRow, ProcessCpu.Note(cpuPerJob.Empty));

        report.Judge("InMemory: endpoint execution ≥ 0.5× stock in-process server", endpointRow.Ratio!.Value, 0.5, atLeast: true,
            $"{endpointRow.Ratio:0.00}× ({Report.Format(endpointRow.Median)} vs {Report.Format(stockRow.Median)} jobs/s)");
        var costRatio = emptyRow.Median / endpointRow.Median;
        var stockUs = 1e6 / stockRow.Median;
        var floorUs = 1e6 / emptyRow.Median;
        var channelUs = 1e6 / report.Rows[^2].Median;
        var handlerUs = (1e6 / report.Rows[^3].Median) - channelUs;
        report.Findings.Add(FormattableString.Invariant(
            $"InMemory per job: stock server {stockUs:0.0} µs; empty Kestrel request {floorUs:0.0} µs; channel bridge in-process {channelUs:0.0} µs; endpoint handler's own work ≈ {handlerUs:0.0} µs; whole HTTP endpoint {1e6 / endpointRow.Median:0.0} µs. 0.5× stock allows {2 * stockUs:0.0} µs per job, of which the HTTP floor and the bridge alone take {floorUs + channelUs:0.0} µs."));
        static double Median(List<double> values) => values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);
        report.Findings.Add(FormattableString.Invariant(
            $"InMemory process CPU per job (all threads, spin-waiting included, so it rises when cores are idle): HTTP endpoint {Median(cpuPerJob.Http):0.0} µs, empty Kestrel {Median(cpuPerJob.Empty):0.0} µs ({Median(cpuPerJob.Http) / Median(cpuPerJob.Empty):0.00}×), endpoint handler in-process {Median(cpuPerJob.Handler):0.0} µs, channel bridge in-process {Median(cpuPerJob.Bridge):0.0} µs (with envelope parsing). The load generator runs in the same process, so the HTTP rows include the client's CPU."));
        // Findings text only: on this step every row tends to speed up round after round (tiered JIT with PGO), the
        // endpoint rows (most code: Kestrel, HttpClient, Hangfire, the handler) the longest; say so when it happens.
        var climbing = report.Rows.Skip(report.Rows.Count - 5)
            .Where(r => r.Rounds.Count >= 3 && Math.Min(r.Rounds[^1], r.Rounds[^2]) > 1.4 * Math.Max(r.Rounds[0], r.Rounds[1]))
            .Select(r => FormattableString.Invariant($"{r.Case.Split(" (")[0].Split(",")[0]} {Report.Format(r.Rounds[0])} → {Report.Format(r.Rounds[^1])}"))
            .ToList();
        if (climbing.Count > 0)
        {
            report.Findings.Add("Still warming up during the counted rounds (last two rounds above 1.4× the first two), so their medians include warm-up: " + string.Join("; ", climbing) + ".");
        }

        report.Judge("InMemory: endpoint cost per job ≤ 3× empty Kestrel's", costRatio, 3, atLeast: false,
            $"{costRatio:0.00}× ({1000 / endpointRow.Median:0.000} vs {1000 / emptyRow.Median:0.000} ms per job)");

        var pollRow = report.Add(name, $"ElasticSqs poll mode (ReceiveFromSqs, backlog seeded through the storage) + InMemory, {settings.WorkerCount} workers", "stand-in 0 ms", pollRounds, "jobs/s", stockRow, ProcessCpu.Note(cpuPerJob.Poll) + FormattableString.Invariant($" (the stand-in's included; the enqueues are not); {Report.Median(messagesPerReceive):0.0} messages per ReceiveMessage"));
        report.Judge($"InMemory, no-op jobs, {settings.WorkerCount} workers, stand-in 0 ms: poll mode ≥ 0.8× stock BackgroundJobServer + InMemory", pollRow.Ratio!.Value, 0.8, atLeast: true,
            $"{pollRow.Ratio:0.00}× ({Report.Format(pollRow.Median)} vs {Report.Format(stockRow.Median)} jobs/s)");
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

        // Every round runs the three cases in turn (same database, schemas of their own); round 0 warms up.
        var stockDefault = new List<double>();
        var stockTuned = new List<double>();
        var endpointRounds = new List<double>();
        var pollRounds = new List<double>();
        var defaultStorage = Storage("hf_stock");
        var pollInner = Storage("hf_poll");
        var tunedStorage = Storage("hf_stock_tuned", o => o.QueuePollInterval = TimeSpan.FromMilliseconds(50));
        await using (var app = await WorkerApp.StartAsync(Storage("hf_endpoint"), sqs, "x-", settings.WorkerCount))
        {
            using var load = new LoadGenerator(app.Url, Connections);
            for (var round = 0; round <= settings.PostgresRounds; round++)
            {
                var a = await StockRoundAsync(defaultStorage, jobs, settings.WorkerCount, new BackgroundJobServerOptions());
                var b = await StockRoundAsync(tunedStorage, jobs, settings.WorkerCount, new BackgroundJobServerOptions());
                var c = 0.0;
                if (round > 0) // not in the warm-up round, to keep the run short: the InMemory benchmark before it warms poll mode up
                {
                    using var pollStorage = PollModeBenchmark.Storage(pollInner, sqs, $"pg{round}-");
                    await PollModeBenchmark.SeedAsync(pollStorage, standIn, $"pg{round}-", jobs);
                    c = await PollModeBenchmark.RunAsync(pollStorage, jobs, settings.WorkerCount);
                }

                var messages = await PrepareAsync(app.Storage, standIn, jobs);
                var elapsed = await load.DeliverAsync(messages);
                if (round > 0)
                {
                    stockDefault.Add(a);
                    stockTuned.Add(b);
                    endpointRounds.Add(jobs / elapsed.TotalSeconds);
                    pollRounds.Add(c);
                }
            }
        }

        var defaultRow = report.Add(name, $"stock BackgroundJobServer + PostgreSql (default QueuePollInterval 15 s), {settings.WorkerCount} workers", "none", stockDefault, "jobs/s", null);
        var tunedRow = report.Add(name, $"stock BackgroundJobServer + PostgreSql (QueuePollInterval 50 ms, the lowest it accepts), {settings.WorkerCount} workers", "none", stockTuned, "jobs/s", defaultRow);
        var endpointRow = report.Add(name, $"ElasticSqs sqsd endpoint (HTTP, {Connections} conns) + PostgreSql, {settings.WorkerCount} workers", "none (deliveries POSTed)", endpointRounds, "jobs/s", defaultRow);
        var vsTuned = endpointRow.Median / tunedRow.Median;
        report.Judge("PostgreSQL: endpoint execution ≥ 1.0× stock server (default polling)", endpointRow.Ratio!.Value, 1.0, atLeast: true,
            $"{endpointRow.Ratio:0.00}× ({Report.Format(endpointRow.Median)} vs {Report.Format(defaultRow.Median)} jobs/s)");
        report.Judge("PostgreSQL: endpoint execution ≥ 1.0× stock server (tuned polling)", vsTuned, 1.0, atLeast: true,
            $"{vsTuned:0.00}× ({Report.Format(endpointRow.Median)} vs {Report.Format(tunedRow.Median)} jobs/s)");
        var pollRow = report.Add(name, $"ElasticSqs poll mode (ReceiveFromSqs, backlog seeded through the storage) + PostgreSql, {settings.WorkerCount} workers", "stand-in 0 ms", pollRounds, "jobs/s", defaultRow);
        var pollVsTuned = pollRow.Median / tunedRow.Median;
        report.Judge("PostgreSQL inner storage: poll mode ≥ 2× stock server on Hangfire.PostgreSql (default polling)", pollRow.Ratio!.Value, 2.0, atLeast: true,
            $"{pollRow.Ratio:0.00}× ({Report.Format(pollRow.Median)} vs {Report.Format(defaultRow.Median)} jobs/s)");
        report.Judge("PostgreSQL inner storage: poll mode ≥ 2× stock server on Hangfire.PostgreSql (tuned polling)", pollVsTuned, 2.0, atLeast: true,
            $"{pollVsTuned:0.00}× ({Report.Format(pollRow.Median)} vs {Report.Format(tunedRow.Median)} jobs/s)");
    }

    /// <summary>The endpoint's handler called with in-memory HTTP contexts: everything the endpoint does except Kestrel and sockets.</summary>
    private static async Task<TimeSpan> HandleDirectAsync(Worker.Delivery.SqsdEndpointHandler handler, List<CapturedMessage> messages)
    {
        var next = -1;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(async _ =>
        {
            await Task.Yield();
            int i;
            while ((i = Interlocked.Increment(ref next)) < messages.Count)
            {
                var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
                context.Connection.RemoteIpAddress = System.Net.IPAddress.Loopback;
                context.Connection.LocalIpAddress = System.Net.IPAddress.Loopback;
                context.Request.Method = "POST";
                context.Request.Path = "/";
                using var request = LoadGenerator.SqsdRequest(messages[i]);
                foreach (var header in request.Headers.Concat(request.Content!.Headers))
                {
                    context.Request.Headers[header.Key] = header.Value.ToArray();
                }

                var body = System.Text.Encoding.UTF8.GetBytes(messages[i].Body);
                context.Request.Body = new MemoryStream(body);
                context.Request.ContentLength = body.Length;
                context.Response.Body = Stream.Null;
                await handler.HandleAsync(context);
                if (context.Response.StatusCode != 200)
                {
                    throw new InvalidOperationException($"in-process handler answered {context.Response.StatusCode}");
                }
            }
        }));
        return watch.Elapsed;
    }

    /// <summary>The pipeline's hand-off called directly (no HTTP, no signature check): the channel bridge's own cost.</summary>
    private static async Task<TimeSpan> DispatchDirectAsync(Pipeline.ChannelBridge.ChannelHandOff dispatcher, List<CapturedMessage> messages)
    {
        var envelopes = messages.Select(m => new Pipeline.VerifiedMessage(Messages.JobEnvelope.Parse(System.Text.Encoding.UTF8.GetBytes(m.Body)), 0, null)).ToList();
        var settings = new Pipeline.DeliverySettings(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        var next = -1;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(async _ =>
        {
            await Task.Yield();
            int i;
            while ((i = Interlocked.Increment(ref next)) < envelopes.Count)
            {
                var result = await dispatcher.DeliverAsync(envelopes[i], settings, TimeSpan.FromSeconds(30));
                if (result.Status != Pipeline.DeliveryStatus.Completed)
                {
                    throw new InvalidOperationException($"in-process delivery ended {result.Status}: {result.Reason}");
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
        await storage.BackgroundSends.WhenIdleAsync(); // enqueues return before their messages are sent
        standIn.Capture = null;
        storage.Outbox.FlushClears(); // no outbox bookkeeping left running into the measured part
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
        options.Activator = new JobActivator(); // stock: not a DI activator a worker host may have installed
        options.ServerTimeout = TimeSpan.FromMinutes(5);
        using (new BackgroundJobServer(options, storage))
        {
            await timer.WaitForAsync(jobs, TimeSpan.FromMinutes(3));
        }

        StateTimer.Install();
        return jobs / timer.Elapsed.TotalSeconds;
    }
}

/// <summary>
/// Process CPU time across a measured call, per job: where the cores go, next to the throughput. It counts every
/// thread of the process (the load generator too) and spin-waits, which grow when cores are idle. Instrumentation
/// only: read before and after the timed call.
/// </summary>
internal readonly struct ProcessCpu
{
    private readonly TimeSpan _start;

    private ProcessCpu(TimeSpan start) => _start = start;

    public static ProcessCpu Start() => new(Now());

    public double MicrosecondsPer(int jobs) => (Now() - _start).TotalMicroseconds / jobs;

    public static string Note(List<double> rounds)
    {
        var sorted = rounds.Order().ToList();
        return sorted.Count == 0 ? string.Empty : FormattableString.Invariant($"process CPU {sorted[sorted.Count / 2]:0.0} µs/job (median)");
    }

    private static TimeSpan Now()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
