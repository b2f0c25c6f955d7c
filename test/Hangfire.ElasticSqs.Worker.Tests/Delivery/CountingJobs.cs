using System.Collections.Concurrent;

namespace Hangfire.ElasticSqs.Worker.Tests.Delivery;

/// <summary>Jobs that record every execution, so tests can prove "ran once", "ran twice", "never ran".</summary>
public sealed class CountingJobs
{
    public static readonly ConcurrentDictionary<string, int> Runs = new();
    public static readonly ConcurrentDictionary<string, DateTime> LastRun = new();
    public static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new();
    private static int s_concurrent;

    private static int s_maxConcurrent;

    public static int MaxConcurrent => Volatile.Read(ref s_maxConcurrent);

    public static int RunsOf(string key) => Runs.GetValueOrDefault(key);

    public void Count(string key)
    {
        Runs.AddOrUpdate(key, 1, (_, n) => n + 1);
        LastRun[key] = DateTime.UtcNow;
    }

    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [1])]
    public void FailTwice(string key)
    {
        var run = Runs.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (run <= 2)
        {
            throw new InvalidOperationException($"attempt {run} fails on purpose");
        }
    }

    [AutomaticRetry(Attempts = 0)]
    public void AlwaysFail(string key)
    {
        Runs.AddOrUpdate(key, 1, (_, n) => n + 1);
        throw new InvalidOperationException("always fails");
    }

    /// <summary>Runs until the test opens its gate; tracks how many run at the same time.</summary>
    public void Hold(string key)
    {
        Runs.AddOrUpdate(key, 1, (_, n) => n + 1);
        var now = Interlocked.Increment(ref s_concurrent);
        InterlockedMax(ref s_maxConcurrent, now);
        try
        {
            Gates.GetOrAdd(key, _ => new SemaphoreSlim(0)).Wait(TimeSpan.FromMinutes(1));
        }
        finally
        {
            Interlocked.Decrement(ref s_concurrent);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
