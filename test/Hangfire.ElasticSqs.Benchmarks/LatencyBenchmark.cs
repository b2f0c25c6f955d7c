using System.Diagnostics;
using Hangfire.ElasticSqs.Testing;
using Hangfire.InMemory;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>(4) End-to-end latency, enqueue → job start, p50/p99: through moto and the local sqsd, vs a stock in-process server.</summary>
internal static class LatencyBenchmark
{
    private const string Name = "4 Latency enqueue→start";

    public static async Task RunAsync(Report report, Settings settings)
    {
        Console.WriteLine("== (4) End-to-end latency");
        var count = settings.LatencyJobs;
        var spacing = TimeSpan.FromMilliseconds(20);

        // Baseline: stock BackgroundJobServer + InMemory in the same process.
        using var storage = new InMemoryStorage();
        var stock = new List<double>();
        using (new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = settings.WorkerCount, Activator = new JobActivator() }, storage))
        {
            stock = await MeasureAsync(new BackgroundJobClient(storage), count, spacing);
        }

        var stockP50 = report.Add(Name, "stock BackgroundJobServer + InMemory, p50", "none", [Percentile(stock, 50)], "ms", null);
        var stockP99 = report.Add(Name, "stock BackgroundJobServer + InMemory, p99", "none", [Percentile(stock, 99)], "ms", null);

        await using var moto = await MotoServer.StartAsync();
        using var sqs = moto.CreateClient();
        var prefix = "l" + Guid.NewGuid().ToString("N")[..8] + "-";
        var queueUrl = (await sqs.CreateQueueAsync(prefix + "default")).QueueUrl;
        List<double> ours;
        using var inner = new InMemoryStorage();
        await using (var app = await WorkerApp.StartAsync(inner, sqs, prefix, settings.WorkerCount, (services, url) => services.AddLocalSqsd(o =>
        {
            o.WorkerQueueURL = queueUrl;
            o.BaseAddress = url;
            o.HttpConnections = ExecutionBenchmarks.Connections;
        })))
        {
            ours = await MeasureAsync(new BackgroundJobClient(app.Storage), count, spacing);
        }

        report.Add(Name, "ElasticSqs: enqueue → moto → local sqsd → endpoint, p50", "moto", [Percentile(ours, 50)], "ms", stockP50, "ratio: lower is better");
        report.Add(Name, "ElasticSqs: enqueue → moto → local sqsd → endpoint, p99", "moto", [Percentile(ours, 99)], "ms", stockP99, "ratio: lower is better");
    }

    public static async Task<List<double>> MeasureAsync(BackgroundJobClient client, int count, TimeSpan spacing)
    {
        Jobs.Latencies.Clear();
        client.Enqueue(() => Jobs.Latency(Stopwatch.GetTimestamp())); // warm-up
        var deadline = Stopwatch.StartNew();
        while (Jobs.Latencies.IsEmpty && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(10);
        }

        Jobs.Latencies.Clear();
        for (var i = 0; i < count; i++)
        {
            client.Enqueue(() => Jobs.Latency(Stopwatch.GetTimestamp()));
            await Task.Delay(spacing);
        }

        deadline.Restart();
        while (Jobs.Latencies.Count < count)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"only {Jobs.Latencies.Count} of {count} latency jobs ran");
            }

            await Task.Delay(10);
        }

        return [.. Jobs.Latencies];
    }

    public static double Percentile(List<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
