using System.Collections.Concurrent;

namespace Hangfire.ElasticSqs.Pipeline;

/// <summary>
/// Job ids this process is handling right now. A second delivery of one of them (sqsd re-posting after a proxy
/// timeout, or SQS delivering a message twice) is answered 409 instead of running the job concurrently, which stock
/// Hangfire would do because its Worker accepts jobs in the Processing state.
/// </summary>
internal sealed class InFlightJobs
{
    private readonly ConcurrentDictionary<string, byte> _jobs = new(StringComparer.Ordinal);

    public int Count => _jobs.Count;

    public bool TryEnter(string jobId) => _jobs.TryAdd(jobId, 0);

    public void Exit(string jobId) => _jobs.TryRemove(jobId, out _);
}
