using System.Collections.Concurrent;

namespace Hangfire.ElasticSqs.Sample.Jobs;

/// <summary>One attempt at running a job, as the job itself saw it.</summary>
public sealed record JobAttempt(string JobId, string Kind, int Attempt, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, bool Succeeded);

/// <summary>
/// What the sample's jobs did, per Hangfire job id. A singleton in the container, so the jobs (activated through
/// ASP.NET Core DI) and the demo read and write the same instance; it exists only to make the demo checkable.
/// </summary>
public sealed class JobJournal
{
    private readonly ConcurrentDictionary<string, List<JobAttempt>> _attempts = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public JobJournal(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>Runs <paramref name="work"/> as the next attempt of <paramref name="jobId"/> and records how it went.</summary>
    /// <returns>What <paramref name="work"/> returned; its exception propagates so that Hangfire's retry filter sees it.</returns>
    public T Record<T>(string jobId, string kind, Func<int, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var list = _attempts.GetOrAdd(jobId, _ => []);
        int attempt;
        lock (list)
        {
            attempt = list.Count + 1;
        }

        var started = _time.GetUtcNow();
        var succeeded = false;
        try
        {
            var result = work(attempt);
            succeeded = true;
            return result;
        }
        finally
        {
            lock (list)
            {
                list.Add(new JobAttempt(jobId, kind, attempt, started, _time.GetUtcNow(), succeeded));
            }
        }
    }

    public void Record(string jobId, string kind, Action<int> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Record(jobId, kind, attempt =>
        {
            work(attempt);
            return 0;
        });
    }

    /// <summary>The attempts of one job, in order; empty when it never ran.</summary>
    public IReadOnlyList<JobAttempt> AttemptsOf(string jobId)
    {
        if (!_attempts.TryGetValue(jobId, out var list))
        {
            return [];
        }

        lock (list)
        {
            return [.. list];
        }
    }

    /// <summary>Every attempt of every job of <paramref name="kind"/>.</summary>
    public IReadOnlyList<JobAttempt> AttemptsOfKind(string kind)
        => [.. _attempts.Values.SelectMany(list =>
        {
            lock (list)
            {
                return list.ToArray();
            }
        }).Where(a => string.Equals(a.Kind, kind, StringComparison.Ordinal)).OrderBy(a => a.StartedAt)];
}
