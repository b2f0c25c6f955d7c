using System.Diagnostics;
using System.Runtime;
using Hangfire.InMemory;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>(5) Memory: working set and managed heap after 10k and 100k deliveries through the endpoint, finished jobs expiring.</summary>
internal static class MemoryBenchmark
{
    private const string Name = "5 Memory";

    public static async Task RunAsync(Report report, Settings settings)
    {
        Console.WriteLine("== (5) Memory");
        var expiration = TimeSpan.FromSeconds(3);
        using var inner = new InMemoryStorage(new InMemoryStorageOptions()) { JobExpirationTimeout = expiration };
        await using var standIn = await SqsStandIn.StartAsync();
        using var sqs = WorkerApp.Client(standIn.Url);
        await using var app = await WorkerApp.StartAsync(inner, sqs, "m-", settings.WorkerCount);
        using var load = new LoadGenerator(app.Url, ExecutionBenchmarks.Connections);

        var delivered = 0;
        var checkpoints = new[] { settings.MemorySmall, settings.MemoryLarge };
        var samples = new List<(int Deliveries, double WorkingSet, double Heap, long Retained)>();
        foreach (var checkpoint in checkpoints)
        {
            while (delivered < checkpoint)
            {
                var chunk = Math.Min(5000, checkpoint - delivered);
                var messages = await ExecutionBenchmarks.PrepareAsync(app.Storage, standIn, chunk);
                await load.DeliverAsync(messages);
                delivered += chunk;
            }

            // Let the finished jobs expire (InMemory evicts expired entries periodically), then measure.
            await Task.Delay(expiration + TimeSpan.FromSeconds(settings.Quick ? 3 : 6));
            var (workingSet, heap) = Measure();
            var retained = inner.GetMonitoringApi().SucceededListCount();
            using (var connection = (Hangfire.Storage.JobStorageConnection)inner.GetConnection())
            {
                Console.WriteLine($"   after {delivered:N0}: heap {heap:0.00} MiB, working set {workingSet:0} MiB, succeeded list {retained}, " +
                    $"queue set {connection.GetSetCount(Storage.StorageKeys.Queue("default"))}, outbox {app.Storage.Outbox.PendingCount()}, jobs in InMemory {inner.GetMonitoringApi().GetStatistics().Succeeded} succeeded counter");
            }

            samples.Add((delivered, workingSet, heap, retained));
        }

        var small = samples[0];
        var large = samples[1];
        var heapSmall = report.Add(Name, $"managed heap after {small.Deliveries:N0} deliveries", "stand-in 0 ms (enqueue side)", [small.Heap], "MiB", null, $"{small.Retained} finished jobs retained");
        report.Add(Name, $"managed heap after {large.Deliveries:N0} deliveries", "stand-in 0 ms (enqueue side)", [large.Heap], "MiB", heapSmall, $"{large.Retained} finished jobs retained");
        var wsSmall = report.Add(Name, $"working set after {small.Deliveries:N0} deliveries", "stand-in 0 ms (enqueue side)", [small.WorkingSet], "MiB", null);
        report.Add(Name, $"working set after {large.Deliveries:N0} deliveries", "stand-in 0 ms (enqueue side)", [large.WorkingSet], "MiB", wsSmall);

        // Allowance for what is legitimately retained: finished jobs not yet expired (~2 KiB each, generous) + 2 MiB noise.
        var allowance = 2 + (Math.Max(0, large.Retained - small.Retained) * 2.0 / 1024);
        var growth = large.Heap - small.Heap;
        report.Judge($"Memory: no managed-heap growth {small.Deliveries / 1000}k→{large.Deliveries / 1000}k beyond retained finished jobs", growth, allowance, atLeast: false,
            $"heap {small.Heap:0.0} → {large.Heap:0.0} MiB (Δ {growth:+0.0;-0.0} MiB, allowance {allowance:0.0} MiB), working set {small.WorkingSet:0} → {large.WorkingSet:0} MiB, retained {small.Retained} → {large.Retained}");
    }

    private static (double WorkingSet, double Heap) Measure()
    {
        for (var i = 0; i < 3; i++)
        {
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        using var process = Process.GetCurrentProcess();
        return (process.WorkingSet64 / 1048576.0, GC.GetTotalMemory(forceFullCollection: true) / 1048576.0);
    }
}
