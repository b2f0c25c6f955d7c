using System.Collections.Concurrent;

namespace Hangfire.ElasticSqs.Tests.Hosts.Polling;

/// <summary>Jobs the poll-mode tests run; each records its starts under a key of the test's own.</summary>
public static class PollJobs
{
    private static readonly ConcurrentDictionary<string, int> Attempts = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    public static ConcurrentQueue<string> Starts { get; } = new();

    public static int RunsOf(string key) => Starts.Count(s => s == key);

    public static void Record(string key) => Starts.Enqueue(key);

    [Queue("critical")]
    public static void RecordCritical(string key) => Starts.Enqueue(key);

    /// <summary>Fails <paramref name="failures"/> times, then succeeds.</summary>
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [1])]
    public static void FailThenSucceed(string key, int failures)
    {
        Starts.Enqueue(key);
        if (Attempts.AddOrUpdate(key, 1, (_, n) => n + 1) <= failures)
        {
            throw new InvalidOperationException("failing on purpose, attempt " + Attempts[key]);
        }
    }

    [AutomaticRetry(Attempts = 0)]
    public static void AlwaysFail(string key)
    {
        Starts.Enqueue(key);
        throw new InvalidOperationException("failing on purpose");
    }

    /// <summary>Runs until the test releases it.</summary>
    public static void Hold(string key)
    {
        Starts.Enqueue(key);
        Gates.GetOrAdd(key, _ => new SemaphoreSlim(0)).Wait(TimeSpan.FromMinutes(2));
    }

    public static void Release(string key) => Gates.GetOrAdd(key, _ => new SemaphoreSlim(0)).Release();
}
