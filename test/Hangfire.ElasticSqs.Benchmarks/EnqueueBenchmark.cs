using System.Diagnostics;
using Amazon.SQS;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Testing;
using Hangfire.InMemory;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>
/// (1) Enqueue: BackgroundJob.Enqueue through the ElasticSqs storage vs the raw AWSSDK SendMessage loop to the same
/// server vs Hangfire.InMemory alone, with 1 and 16 callers, against moto and the latency-model stand-in.
/// </summary>
internal static class EnqueueBenchmark
{
    private const string Name = "1 Enqueue";

    public static async Task RunAsync(Report report, Settings settings)
    {
        Console.WriteLine("== (1) Enqueue");
        int[] callerCounts = [1, 16];

        // Hangfire.InMemory alone: no SQS at all.
        var inMemoryRows = new Dictionary<int, Row>();
        foreach (var callers in callerCounts)
        {
            using var inMemory = new InMemoryStorage();
            var client = new BackgroundJobClient(inMemory);
            var rounds = Rounds(settings.Rounds, settings.RoundTime, callers, _ => client.Enqueue(() => Jobs.NoOp()));
            inMemoryRows[callers] = report.Add(Name, $"Hangfire.InMemory alone, {callers} caller(s)", "none", rounds, "jobs/s", null);
        }

        await using var standIn = await SqsStandIn.StartAsync();
        using var standInClient = WorkerApp.Client(standIn.Url);
        foreach (var latency in new[] { 0, 20 })
        {
            standIn.Latency = TimeSpan.FromMilliseconds(latency);
            await RunServerAsync(report, settings, standInClient, standIn.Describe, settings.Rounds, callerCounts, latency);
        }

        if (!settings.SkipMoto)
        {
            await using var moto = await MotoServer.StartAsync();
            using var motoClient = moto.CreateClient();
            await RunServerAsync(report, settings, motoClient, "moto", settings.MotoRounds, callerCounts, null);
        }
    }

    private static async Task RunServerAsync(Report report, Settings settings, AmazonSQSClient sqs, string server, int roundCount, int[] callerCounts, int? latency)
    {
        var prefix = "b" + Guid.NewGuid().ToString("N")[..8] + "-"; // a fresh queue per server
        var url = (await sqs.CreateQueueAsync(prefix + "default")).QueueUrl;
        using var inner = new InMemoryStorage();
        using var storage = new ElasticSqsStorage(inner, Options(prefix), sqs);
        var client = new BackgroundJobClient(storage);

        // The raw loop sends a message of the same size and attributes as ours.
        var sample = storage.Publisher.Prepare(
            Enqueue.PendingSend.Create("1", "default", due: null),
            Enqueue.JobPayload.From(Common.Job.FromExpression(() => Jobs.NoOp()), DateTime.UtcNow),
            0)!;
        var body = System.Text.Encoding.UTF8.GetString(sample.Message.Body);
        var attributes = sample.Message.ToAttributes();

        // Rounds interleave the cases (raw, ours, raw, ours, …) so that the machine's noise and JIT tiering hit them alike.
        var batcher = storage.Publisher.Batcher;
        // Our enqueue returns before its message is sent (SendFailureMode.KeepPending): a round of ours ends only when
        // every message it enqueued has been accepted by SQS, so the rate counts the sends, not just the returns.
        var sent = storage.BackgroundSends;
        var cases = new List<(string Case, int Callers, bool Ours, Action<int> Op)>();
        foreach (var callers in callerCounts)
        {
            cases.Add((callers == 1 ? "raw SendMessage loop, sequential" : $"raw SendMessage, {callers} callers", callers, false,
                _ => sqs.SendMessageAsync(new SendMessageRequest(url, body) { MessageAttributes = attributes }).GetAwaiter().GetResult()));
            cases.Add(($"ElasticSqs BackgroundJob.Enqueue, {callers} caller(s)", callers, true, _ => client.Enqueue(() => Jobs.NoOp())));
        }

        var results = cases.Select(_ => new List<double>()).ToList();
        var perCall = cases.Select(_ => (Calls: 0L, Sent: 0L)).ToList();
        foreach (var c in cases)
        {
            Run(c.Callers, TimeSpan.FromMilliseconds(1000), c.Op, c.Ours ? sent : null); // warm-up
            await EmptyQueueAsync(sqs, server, prefix + "default", url);
        }

        for (var round = 0; round < roundCount; round++)
        {
            for (var i = 0; i < cases.Count; i++)
            {
                var (calls0, batches0, entries0) = (batcher.SingleCalls, batcher.BatchCalls, batcher.BatchedEntries);
                results[i].Add(Run(cases[i].Callers, settings.RoundTime, cases[i].Op, cases[i].Ours ? sent : null));
                await EmptyQueueAsync(sqs, server, prefix + "default", url);
                perCall[i] = (perCall[i].Calls + batcher.SingleCalls - calls0 + batcher.BatchCalls - batches0, perCall[i].Sent + batcher.SingleCalls - calls0 + batcher.BatchedEntries - entries0);
            }
        }

        var raw = new Dictionary<int, Row>();
        var ours = new Dictionary<int, Row>();
        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            if (!c.Ours)
            {
                raw[c.Callers] = report.Add(Name, c.Case, server, results[i], "msgs/s", c.Callers == 1 ? null : raw[1]);
            }
        }

        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            if (c.Ours)
            {
                var notes = $"{(double)perCall[i].Sent / Math.Max(1, perCall[i].Calls):0.0} msgs per SQS call; vs raw with as many callers {Report.Median(results[i]) / raw[c.Callers].Median:0.00}×";
                ours[c.Callers] = report.Add(Name, c.Case, server, results[i], "jobs/s", raw[1], notes);
            }
        }

        if (latency == 20)
        {
            // Bound by round trips: each call in flight carries at most 10 messages per 20 ms.
            var cap = Enqueue.SendBatcher.MaxInFlightPerQueue;
            var ceiling = cap * Enqueue.SendBatcher.MaxEntries / 0.020;
            report.Judge("Enqueue, 16 callers, 20 ms/call ≥ 5,000 jobs/s (sends)", ours[16].Median, 5000, atLeast: true,
                $"{Report.Format(ours[16].Median)} jobs/s sent (ceiling {Report.Format(ceiling)} = {cap} calls in flight × 10 msgs / 20 ms; peak in flight {batcher.PeakInFlight})");
            report.Judge("Enqueue, 16 callers, 20 ms/call ≥ 5× raw sequential SendMessage loop", ours[16].Ratio!.Value, 5, atLeast: true,
                $"{ours[16].Ratio:0.00}× ({Report.Format(ours[16].Median)} vs {Report.Format(raw[1].Median)} jobs/s)");
            report.Judge("Enqueue, 1 caller, 20 ms/call ≥ 0.8× raw sequential loop", ours[1].Ratio!.Value, 0.8, atLeast: true,
                $"{ours[1].Ratio:0.00}× ({Report.Format(ours[1].Median)} vs {Report.Format(raw[1].Median)} jobs/s)");
        }
        else if (latency == 0)
        {
            report.Judge("Enqueue, 1 caller, 0 ms/call ≥ 0.8× raw sequential loop (our own cost)", ours[1].Ratio!.Value, 0.8, atLeast: true,
                $"{ours[1].Ratio:0.00}× ({Report.Format(ours[1].Median)} vs {Report.Format(raw[1].Median)} jobs/s)");
        }
    }

    /// <summary>
    /// moto slows down as a queue fills, and the rounds send thousands of messages nobody receives: between rounds
    /// (outside the timed part) its queue is deleted and created again under the same name, so the URL stays valid.
    /// The stand-in keeps no messages.
    /// </summary>
    private static async Task EmptyQueueAsync(AmazonSQSClient sqs, string server, string name, string url)
    {
        if (server == "moto")
        {
            await sqs.DeleteQueueAsync(url);
            await sqs.CreateQueueAsync(name);
        }
    }

    public static ElasticSqsStorageOptions Options(string prefix)
    {
        var options = new ElasticSqsStorageOptions();
        WorkerApp.Options(options, prefix);
        return options;
    }

    /// <summary>Closed loop: <paramref name="callers"/> dedicated threads call <paramref name="op"/> for a fixed time; ops/s per round.</summary>
    private static List<double> Rounds(int rounds, TimeSpan roundTime, int callers, Action<int> op)
    {
        Run(callers, TimeSpan.FromMilliseconds(Math.Min(300, roundTime.TotalMilliseconds)), op); // warm-up
        return Enumerable.Range(0, rounds).Select(_ => Run(callers, roundTime, op)).ToList();
    }

    /// <summary>
    /// <paramref name="callers"/> threads call <paramref name="op"/> for <paramref name="duration"/>; ops/s. With
    /// <paramref name="sends"/>, the clock stops only once every send the round started is finished.
    /// </summary>
    public static double Run(int callers, TimeSpan duration, Action<int> op, Enqueue.BackgroundSends? sends = null)
    {
        long count = 0;
        var stop = 0;
        using var start = new Barrier(callers + 1);
        var threads = Enumerable.Range(0, callers).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            while (Volatile.Read(ref stop) == 0)
            {
                op(i);
                Interlocked.Increment(ref count);
            }
        })
        { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        start.SignalAndWait();
        var watch = Stopwatch.StartNew();
        Thread.Sleep(duration);
        Volatile.Write(ref stop, 1);
        threads.ForEach(t => t.Join());
        if (sends is not null && !sends.WaitIdle(TimeSpan.FromMinutes(1)))
        {
            throw new InvalidOperationException($"{sends.UnderWay} sends still under way a minute after the round");
        }

        return Interlocked.Read(ref count) / watch.Elapsed.TotalSeconds;
    }
}
