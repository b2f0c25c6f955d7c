using Hangfire.Common;
using Hangfire.ElasticSqs.Enqueue;
using Hangfire.Server;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Storage;

/// <summary>
/// Forwards every connection call to the inner storage, except <see cref="FetchNextJob"/>, which takes the next job
/// from SQS (poll mode) or from the sqsd endpoint, <see cref="CreateWriteTransaction"/>, which returns a transaction
/// that sends enqueued and scheduled jobs through SQS, and the recurring-job schedule's reads, which Hangfire's
/// <c>RecurringJobScheduler</c> sees only where it is the one that triggers recurring jobs.
/// </summary>
internal sealed class ElasticSqsConnection : JobStorageConnection
{
    private readonly ElasticSqsStorage _storage;
    private readonly JobStorageConnection _inner;

    // Jobs this connection just created: their payload need not be read back before the enqueue's commit.
    private readonly Dictionary<string, JobPayload> _created = new(StringComparer.Ordinal);

    public ElasticSqsConnection(ElasticSqsStorage storage, IStorageConnection inner)
    {
        _storage = storage;
        _inner = inner as JobStorageConnection
            ?? throw new NotSupportedException($"The inner storage's connection ({inner.GetType().Name}) does not derive from JobStorageConnection; Hangfire 1.8 storages do.");
    }

    internal JobStorageConnection Inner => _inner;

    internal JobPayload? PayloadOf(string jobId)
        => _created.TryGetValue(jobId, out var payload) ? payload : JobPayload.From(_inner.GetJobData(jobId));

    public override IWriteOnlyTransaction CreateWriteTransaction() => new ElasticSqsTransaction(_storage, this, _inner.CreateWriteTransaction());

    public override IDisposable AcquireDistributedLock(string resource, TimeSpan timeout) => _inner.AcquireDistributedLock(resource, timeout);

    public override string CreateExpiredJob(Job job, IDictionary<string, string> parameters, DateTime createdAt, TimeSpan expireIn)
    {
        var id = _inner.CreateExpiredJob(job, parameters, createdAt, expireIn);
        RememberCreated(id, job, createdAt);
        return id;
    }

    internal void RememberCreated(string jobId, Job job, DateTime createdAt)
    {
        if (_created.Count > 16)
        {
            _created.Clear(); // A connection normally creates one job; never let a long-lived one grow.
        }

        _created[jobId] = JobPayload.From(job, createdAt);
    }

    public override IFetchedJob FetchNextJob(string[] queues, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queues);
        if (_storage.Options.ReceiveFromSqs)
        {
            return _storage.Polling.FetchNextJob(queues, cancellationToken);
        }

        _storage.EnsureCanReceive();

        // Every job sqsd delivers to this worker runs: the SQS queue behind the sqsd endpoint is the routing.
        var delivery = _storage.Deliveries.Take(cancellationToken);
        return new ElasticSqsFetchedJob(_storage, delivery);
    }

    /// <summary>
    /// The due recurring jobs are what <c>RecurringJobScheduler</c> polls (nothing else reads the set by score). Where
    /// cron.yaml triggers them, it finds none, so no configuration triggers a recurring job twice.
    /// </summary>
    private bool IsHiddenSchedule(string key)
        => string.Equals(key, StorageKeys.RecurringJobs, StringComparison.Ordinal) && !_storage.RunsRecurringJobScheduler;

    public override void SetJobParameter(string id, string name, string value) => _inner.SetJobParameter(id, name, value);

    public override string GetJobParameter(string id, string name) => _inner.GetJobParameter(id, name);

    public override JobData GetJobData(string jobId) => _inner.GetJobData(jobId);

    public override StateData GetStateData(string jobId) => _inner.GetStateData(jobId);

    public override void AnnounceServer(string serverId, ServerContext context) => _inner.AnnounceServer(serverId, context);

    public override void RemoveServer(string serverId) => _inner.RemoveServer(serverId);

    public override void Heartbeat(string serverId) => _inner.Heartbeat(serverId);

    public override int RemoveTimedOutServers(TimeSpan timeOut) => _inner.RemoveTimedOutServers(timeOut);

    public override HashSet<string> GetAllItemsFromSet(string key) => _inner.GetAllItemsFromSet(key);

    public override string GetFirstByLowestScoreFromSet(string key, double fromScore, double toScore)
        => IsHiddenSchedule(key) ? null! : _inner.GetFirstByLowestScoreFromSet(key, fromScore, toScore);

    public override List<string> GetFirstByLowestScoreFromSet(string key, double fromScore, double toScore, int count)
        => IsHiddenSchedule(key) ? [] : _inner.GetFirstByLowestScoreFromSet(key, fromScore, toScore, count);

    public override long GetSetCount(string key) => _inner.GetSetCount(key);

    public override long GetSetCount(IEnumerable<string> keys, int limit) => _inner.GetSetCount(keys, limit);

    public override bool GetSetContains(string key, string value) => _inner.GetSetContains(key, value);

    public override List<string> GetRangeFromSet(string key, int startingFrom, int endingAt) => _inner.GetRangeFromSet(key, startingFrom, endingAt);

    public override TimeSpan GetSetTtl(string key) => _inner.GetSetTtl(key);

    public override void SetRangeInHash(string key, IEnumerable<KeyValuePair<string, string>> keyValuePairs) => _inner.SetRangeInHash(key, keyValuePairs);

    public override Dictionary<string, string> GetAllEntriesFromHash(string key) => _inner.GetAllEntriesFromHash(key);

    public override string GetValueFromHash(string key, string name) => _inner.GetValueFromHash(key, name);

    public override long GetHashCount(string key) => _inner.GetHashCount(key);

    public override TimeSpan GetHashTtl(string key) => _inner.GetHashTtl(key);

    public override long GetListCount(string key) => _inner.GetListCount(key);

    public override List<string> GetAllItemsFromList(string key) => _inner.GetAllItemsFromList(key);

    public override List<string> GetRangeFromList(string key, int startingFrom, int endingAt) => _inner.GetRangeFromList(key, startingFrom, endingAt);

    public override TimeSpan GetListTtl(string key) => _inner.GetListTtl(key);

    public override long GetCounter(string key) => _inner.GetCounter(key);

    public override DateTime GetUtcDateTime() => _inner.GetUtcDateTime();

    public override void Dispose()
    {
        _inner.Dispose();
        base.Dispose();
    }
}
