using System.Diagnostics;
using Amazon.SQS;
using Hangfire.InMemory;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>
/// (5) Poll mode (<see cref="ElasticSqsStorageOptions.ReceiveFromSqs"/>): an ordinary <c>BackgroundJobServer</c> on the
/// storage receives its jobs from the stand-in. Throughput at 20 ms per SQS call with 50 workers, the SQS calls per
/// job at that saturation, and enqueue → start latency. The InMemory and PostgreSQL comparisons with the stock server
/// run inside their execution benchmarks, interleaved with the stock rounds they are judged against.
/// </summary>
internal static class PollModeBenchmark
{
    public const int SaturationWorkers = 50;
    private const string Name = "5 Poll mode";
    private static readonly TimeSpan AwsLikeLatency = TimeSpan.FromMilliseconds(20);

    public static async Task RunAsync(Report report, Settings settings)
    {
        Console.WriteLine("== (5) Poll mode");
        await using var standIn = await SqsStandIn.StartAsync();
        using var sqs = WorkerApp.Client(standIn.Url);
        await SaturationAsync(report, settings, standIn, sqs);
        await LatencyAsync(report, settings, standIn, sqs);
        await SqsClientFloorAsync(report, settings, standIn, sqs);
    }

    /// <summary>
    /// What poll mode's SQS side alone costs per job at 0 ms: the seeded messages received 10 at a time and deleted in
    /// batches of 10 through the AWS SDK, one call after the other, as <see cref="SqsPoller"/> and
    /// <see cref="Hosts.Polling.ReceiptBatcher"/> call it — no pipeline, no Hangfire. The stand-in answers in the same
    /// process, so its CPU is included.
    /// </summary>
    private static async Task SqsClientFloorAsync(Report report, Settings settings, SqsStandIn standIn, AmazonSQSClient sqs)
    {
        var jobs = settings.ExecutionJobs;
        var wall = new List<double>();
        var cpu = new List<double>();
        for (var round = 0; round <= settings.Rounds; round++)
        {
            var prefix = $"f{round}-";
            using var inner = new InMemoryStorage();
            using var storage = Storage(inner, sqs, prefix);
            await SeedAsync(storage, standIn, prefix, jobs);
            var url = (await sqs.GetQueueUrlAsync(prefix + "default")).QueueUrl;
            var usage = ProcessCpu.Start();
            var watch = Stopwatch.StartNew();
            var drained = 0;
            while (drained < jobs)
            {
                var received = (await sqs.ReceiveMessageAsync(new Amazon.SQS.Model.ReceiveMessageRequest
                {
                    QueueUrl = url,
                    MaxNumberOfMessages = 10,
                    WaitTimeSeconds = 0,
                    MessageAttributeNames = ["All"],
                    MessageSystemAttributeNames = [Amazon.SQS.MessageSystemAttributeName.ApproximateReceiveCount],
                })).Messages ?? [];
                if (received.Count > 0)
                {
                    await sqs.DeleteMessageBatchAsync(new Amazon.SQS.Model.DeleteMessageBatchRequest(url, [.. received.Select((m, i) => new Amazon.SQS.Model.DeleteMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), m.ReceiptHandle))]));
                }

                drained += received.Count;
            }

            if (round > 0)
            {
                wall.Add(watch.Elapsed.TotalMicroseconds / jobs);
                cpu.Add(usage.MicrosecondsPer(jobs));
            }
        }

        report.Add(Name, "SQS side alone: ReceiveMessage (10) + DeleteMessageBatch (10) through the AWS SDK, sequential, wall time per message", "stand-in 0 ms", wall, "µs/job", null);
        report.Add(Name, "SQS side alone: the same, process CPU per message (client and stand-in)", "stand-in 0 ms", cpu, "µs/job", null);
    }

    /// <summary>A poll-mode storage over <paramref name="inner"/>, whose queues are named with <paramref name="prefix"/>.</summary>
    public static ElasticSqsStorage Storage(JobStorage inner, IAmazonSQS sqs, string prefix)
    {
        var options = new ElasticSqsStorageOptions { ReceiveFromSqs = true };
        WorkerApp.Options(options, prefix);
        return new ElasticSqsStorage(inner, options, sqs);
    }

    /// <summary>Enqueues <paramref name="jobs"/> no-op jobs through the storage; their signed messages stay on the stand-in's queue.</summary>
    public static async Task SeedAsync(ElasticSqsStorage storage, SqsStandIn standIn, string prefix, int jobs)
    {
        standIn.StoreMessages = true;
        try
        {
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
            await storage.BackgroundSends.WhenIdleAsync();
        }
        finally
        {
            standIn.StoreMessages = false;
        }

        storage.Outbox.FlushClears();
        var (visible, _, _) = standIn.Queue(prefix + "default").Counts();
        if (visible != jobs)
        {
            throw new InvalidOperationException($"{visible} messages on the stand-in's queue for {jobs} jobs");
        }
    }

    /// <summary>A poll-mode server drains the seeded backlog: jobs/s from the first Processing to the last Succeeded, as the stock rounds.</summary>
    public static async Task<double> RunAsync(ElasticSqsStorage storage, int jobs, int workerCount)
    {
        var timer = StateTimer.Install();
        var options = new BackgroundJobServerOptions
        {
            WorkerCount = workerCount,
            Activator = new JobActivator(),
            ServerTimeout = TimeSpan.FromMinutes(5),
        };
        using (new BackgroundJobServer(options, storage))
        {
            await timer.WaitForAsync(jobs, TimeSpan.FromMinutes(3));
        }

        StateTimer.Install();
        return jobs / timer.Elapsed.TotalSeconds;
    }

    private static async Task SaturationAsync(Report report, Settings settings, SqsStandIn standIn, AmazonSQSClient sqs)
    {
        var jobs = settings.SaturationJobs;
        var rates = new List<double>();
        var inFlight = new List<double>();
        var peaks = new List<double>();
        var cpu = new List<double>();
        var executing = new List<double>();
        var perJobMs = new List<double>();
        var perJob = (Receive: new List<double>(), Delete: new List<double>(), Visibility: new List<double>(), PerReceive: new List<double>());
        for (var round = 0; round <= settings.SaturationRounds; round++)
        {
            var prefix = $"s{round}-";
            using var inner = new InMemoryStorage();
            var storage = Storage(inner, sqs, prefix);
            double rate;
            double meanInFlight;
            double cpuPerJob;
            double processing;
            (long Receives, long Deletes, long Visibility, long Received) before;
            try
            {
                await SeedAsync(storage, standIn, prefix, jobs);
                standIn.Latency = AwsLikeLatency;
                before = Counters(standIn);
                standIn.ResetPeakReceivesInFlight();
                var since = Stopwatch.GetTimestamp();
                var integral = standIn.ReceiveInFlightTicks();
                var timer = StateTimer.Install(trackJobs: true);
                var usage = ProcessCpu.Start();
                var options = new BackgroundJobServerOptions
                {
                    WorkerCount = SaturationWorkers,
                    Activator = new JobActivator(),
                    ServerTimeout = TimeSpan.FromMinutes(5),
                };
                using (new BackgroundJobServer(options, storage))
                {
                    await timer.WaitForAsync(jobs, TimeSpan.FromMinutes(3));
                    meanInFlight = (standIn.ReceiveInFlightTicks() - integral) / (Stopwatch.GetTimestamp() - since);
                    cpuPerJob = usage.MicrosecondsPer(jobs);
                    processing = timer.MeanProcessing.TotalMilliseconds;
                }

                StateTimer.Install();
                rate = jobs / timer.Elapsed.TotalSeconds;
            }
            finally
            {
                standIn.Latency = TimeSpan.Zero;
                storage.Dispose(); // sends the deletes still batching, so that they are counted
            }

            var after = Counters(standIn);
            var (receives, deletes, visibility, received) = (after.Receives - before.Receives, after.Deletes - before.Deletes, after.Visibility - before.Visibility, after.Received - before.Received);
            if (round == 0 && !settings.Quick)
            {
                continue; // warm-up
            }

            rates.Add(rate);
            cpu.Add(cpuPerJob);
            executing.Add(processing * rate / 1000);
            perJobMs.Add(processing);
            inFlight.Add(meanInFlight);
            peaks.Add(standIn.PeakReceivesInFlight);
            perJob.Receive.Add((double)receives / jobs);
            perJob.Delete.Add((double)deletes / jobs);
            perJob.Visibility.Add((double)visibility / jobs);
            perJob.PerReceive.Add(receives == 0 ? double.NaN : (double)received / receives);
        }

        var meanInFlightMedian = Report.Median(inFlight);
        var ceiling = meanInFlightMedian * 500;
        var rateRow = report.Add(Name, $"ElasticSqs poll mode + InMemory, {SaturationWorkers} workers, {jobs:N0} no-op jobs seeded", "stand-in 20 ms", rates, "jobs/s", null,
            FormattableString.Invariant($"{ProcessCpu.Note(cpu)} (the stand-in's too); ceiling {Report.Format(ceiling)} jobs/s (mean receives in flight {Report.Median(inFlight):0.00} × 500; peak {Report.Median(peaks):0}; most possible with {SaturationWorkers} workers: {SaturationWorkers / 10} × 500 = {SaturationWorkers * 50:N0})"));
        report.Add(Name, "poll mode: mean time from Processing to Succeeded per job", "stand-in 20 ms", perJobMs, "ms", null);
        report.Add(Name, $"poll mode: mean workers between Processing and Succeeded (of {SaturationWorkers})", "stand-in 20 ms", executing, "workers", null);
        report.Add(Name, "poll mode: mean ReceiveMessage calls in flight at the stand-in", "stand-in 20 ms", inFlight, "calls", null);
        report.Add(Name, "poll mode: messages per ReceiveMessage", "stand-in 20 ms", perJob.PerReceive, "messages", null);
        var receive = report.Add(Name, "poll mode at saturation: ReceiveMessage calls per job", "stand-in 20 ms", perJob.Receive, "calls/job", null);
        var delete = report.Add(Name, "poll mode at saturation: DeleteMessage(Batch) calls per job", "stand-in 20 ms", perJob.Delete, "calls/job", null);
        var visible = report.Add(Name, "poll mode at saturation: ChangeMessageVisibility(Batch) calls per job", "stand-in 20 ms", perJob.Visibility, "calls/job", null);
        report.Judge($"Stand-in 20 ms per call, {SaturationWorkers} workers, no-op jobs: poll mode ≥ 2,000 jobs/s per process", rateRow.Median, 2000, atLeast: true,
            FormattableString.Invariant($"{Report.Format(rateRow.Median)} jobs/s; physical ceiling {Report.Format(ceiling)} jobs/s ({meanInFlightMedian:0.00} receives in flight × 500 jobs/s)"));
        var total = receive.Median + delete.Median + visible.Median;
        report.Judge("SQS calls per job at saturation (receive + delete + visibility): poll mode ≤ 0.3", total, 0.3, atLeast: false,
            FormattableString.Invariant($"{total:0.000} (receive {receive.Median:0.000}, delete {delete.Median:0.000}, visibility {visible.Median:0.000})"));
    }

    private static async Task LatencyAsync(Report report, Settings settings, SqsStandIn standIn, AmazonSQSClient sqs)
    {
        using var inner = new InMemoryStorage();
        using var storage = Storage(inner, sqs, "l-");
        standIn.StoreMessages = true;
        standIn.Latency = AwsLikeLatency;
        List<double> latencies;
        try
        {
            using var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = settings.WorkerCount, Activator = new JobActivator() }, storage);
            latencies = await LatencyBenchmark.MeasureAsync(new BackgroundJobClient(storage), settings.LatencyJobs, TimeSpan.FromMilliseconds(20));
        }
        finally
        {
            standIn.StoreMessages = false;
            standIn.Latency = TimeSpan.Zero;
        }

        var p50 = LatencyBenchmark.Percentile(latencies, 50);
        var p99 = LatencyBenchmark.Percentile(latencies, 99);
        report.Add(Name, $"poll mode enqueue → start, p50 ({settings.WorkerCount} workers, one job per 20 ms)", "stand-in 20 ms", [p50], "ms", null, "floor ≈ one send + one receive = 40 ms");
        report.Add(Name, $"poll mode enqueue → start, p99 ({settings.WorkerCount} workers, one job per 20 ms)", "stand-in 20 ms", [p99], "ms", null);
        report.Judge("Enqueue → start, stand-in 20 ms: poll mode p50 ≤ 60 ms", p50, 60, atLeast: false,
            FormattableString.Invariant($"p50 {p50:0.0} ms, p99 {p99:0.0} ms"));
    }

    private static (long Receives, long Deletes, long Visibility, long Received) Counters(SqsStandIn standIn)
        => (standIn.CallsOf("ReceiveMessage"),
            standIn.CallsOf("DeleteMessageBatch") + standIn.CallsOf("DeleteMessage"),
            standIn.CallsOf("ChangeMessageVisibilityBatch") + standIn.CallsOf("ChangeMessageVisibility"),
            standIn.Received);
}
