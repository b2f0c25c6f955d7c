using System.Globalization;
using Hangfire.Common;
using Hangfire.ElasticSqs.Enqueue;
using Hangfire.States;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Storage;

/// <summary>
/// Forwards every write to the inner transaction, except that enqueues (<c>AddToQueue</c>) and schedules
/// (<c>AddToSet("schedule")</c>) become SQS messages. Each is checked before the inner commit, recorded in the outbox
/// by that same commit, and sent right after it.
/// </summary>
internal sealed class ElasticSqsTransaction : JobStorageTransaction
{
    private const string DefaultQueue = "default";
    private const string RetryCountParameter = "RetryCount";

    private readonly ElasticSqsStorage _storage;
    private readonly ElasticSqsConnection _connection;
    private readonly JobStorageTransaction _inner;
    private readonly List<PendingSend> _sends = [];
    private readonly List<ElasticSqsFetchedJob> _acknowledgeAfterCommit = [];
    private Dictionary<string, DateTime>? _scheduledAt;
    private Dictionary<string, int>? _retryCounts;
    private List<string>? _newQueueNames;

    public ElasticSqsTransaction(ElasticSqsStorage storage, ElasticSqsConnection connection, IWriteOnlyTransaction inner)
    {
        _storage = storage;
        _connection = connection;
        _inner = inner as JobStorageTransaction
            ?? throw new NotSupportedException($"The inner storage's transaction ({inner.GetType().Name}) does not derive from JobStorageTransaction; Hangfire 1.8 storages do.");
    }

    public override void AddToQueue(string queue, string jobId)
    {
        // The job list behind the Dashboard's Enqueued views; the message itself goes to SQS.
        var now = _storage.Time.GetUtcNow().ToUnixTimeMilliseconds();

        // Queue names are only ever added to that set, never removed: once an enqueue of this storage committed a
        // name, writing it again would cost every later enqueue a database round trip for nothing.
        if (!_storage.RecordedQueueNames.ContainsKey(queue))
        {
            _inner.AddToSet(StorageKeys.Queues, queue);
            (_newQueueNames ??= []).Add(queue);
        }

        _inner.AddToSet(StorageKeys.Queue(queue), jobId, now);
        _sends.Add(PendingSend.Create(jobId, queue, due: null));
    }

    public override void AddToSet(string key, string value, double score)
    {
        if (!string.Equals(key, StorageKeys.HangfireSchedule, StringComparison.Ordinal))
        {
            _inner.AddToSet(key, value, score);
            return;
        }

        // Hangfire writes "jobId", or "queue:jobId" when the job has its own queue.
        var separator = value.IndexOf(':', StringComparison.Ordinal);
        var queue = separator > 0 ? value[..separator] : DefaultQueue;
        var jobId = separator > 0 ? value[(separator + 1)..] : value;

        // The set's score is whole seconds, truncated; the state's EnqueueAt is exact.
        var due = _scheduledAt is not null && _scheduledAt.TryGetValue(jobId, out var exact)
            ? exact
            : DateTimeOffset.FromUnixTimeMilliseconds((long)(score * 1000)).UtcDateTime;
        _inner.AddToSet(StorageKeys.Schedule, value, score);
        _sends.Add(PendingSend.Create(jobId, queue, due));
    }

    public override void RemoveFromSet(string key, string value)
        => _inner.RemoveFromSet(string.Equals(key, StorageKeys.HangfireSchedule, StringComparison.Ordinal) ? StorageKeys.Schedule : key, value);

    public override void SetJobState(string jobId, IState state)
    {
        if (state is ScheduledState scheduled)
        {
            (_scheduledAt ??= new(StringComparer.Ordinal))[jobId] = scheduled.EnqueueAt;
        }

        _inner.SetJobState(jobId, state);
    }

    public override void SetJobParameter(string jobId, string name, string value)
    {
        CaptureRetryCount(jobId, name, value);
        _inner.SetJobParameter(jobId, name, value);
    }

    public override void RemoveFromQueue(IFetchedJob fetchedJob)
    {
        if (fetchedJob is ElasticSqsFetchedJob ours)
        {
            // Transactional acknowledge: the queue view is cleared in the same commit as the final state, and the
            // endpoint answers 200 only after that commit.
            _inner.RemoveFromSet(StorageKeys.Queue(ours.Queue), ours.JobId);
            _acknowledgeAfterCommit.Add(ours);
            return;
        }

        _inner.RemoveFromQueue(fetchedJob);
    }

    public override void Commit()
    {
        var prepared = new List<PreparedSend>(_sends.Count);
        foreach (var send in _sends)
        {
            // Refusals (unknown queue, job too large, delay on FIFO) throw here, before anything is committed.
            if (_storage.Publisher.Prepare(send, _connection.PayloadOf(send.JobId), RetryCountOf(send)) is { } ready)
            {
                prepared.Add(ready);
                _storage.Outbox.Record(_inner, send);
            }
        }

        try
        {
            _inner.Commit();
        }
        catch
        {
            _storage.Outbox.Abandon(_sends);
            throw;
        }

        foreach (var queue in _newQueueNames ?? [])
        {
            _storage.RecordedQueueNames.TryAdd(queue, 0);
        }

        foreach (var fetched in _acknowledgeAfterCommit)
        {
            fetched.Acknowledge();
        }

        if (prepared.Count > 0)
        {
            Send(prepared);
        }
    }

    private void Send(List<PreparedSend> prepared)
    {
        if (_storage.Options.SendFailureMode == SendFailureMode.KeepPending)
        {
            // The records are committed: the job cannot be lost, and a failed send could not be reported to the
            // caller anyway. So the caller does not wait for SQS; a failed send stays in the outbox for the sweeper.
            _storage.BackgroundSends.Start(prepared);
            return;
        }

        // Throw: the caller must learn whether SQS took the message, so it waits for the answer.
        var failures = _storage.Outbox.SendAsync(prepared, CancellationToken.None).GetAwaiter().GetResult();
        if (failures.Count == 0)
        {
            return;
        }

        foreach (var (send, error) in failures)
        {
            _storage.Monitor.RecordError($"sending job {send.Pending.JobId} to queue '{send.Pending.Queue}'", error);
        }

        _storage.Outbox.FailJobs(failures);
        var first = failures[0];
        throw new ElasticSqsSendException(
            $"Job {first.Send.Pending.JobId} was not enqueued: its message could not be sent to SQS ({first.Error.Message}). The job was moved to the Failed state.",
            first.Error);
    }

    private int RetryCountOf(PendingSend send)
    {
        if (_retryCounts is not null && _retryCounts.TryGetValue(send.JobId, out var captured))
        {
            return captured;
        }

        // A retry's count was written through the connection during state election; a first enqueue has none.
        return send.Due is null ? 0 : JobPayload.ParseRetryCount(_connection.Inner.GetJobParameter(send.JobId, RetryCountParameter));
    }

    private void CaptureRetryCount(string jobId, string name, string value)
    {
        if (string.Equals(name, RetryCountParameter, StringComparison.Ordinal))
        {
            (_retryCounts ??= new(StringComparer.Ordinal))[jobId] = JobPayload.ParseRetryCount(value);
        }
    }

    public override void ExpireJob(string jobId, TimeSpan expireIn) => _inner.ExpireJob(jobId, expireIn);

    public override void PersistJob(string jobId) => _inner.PersistJob(jobId);

    public override void AddJobState(string jobId, IState state) => _inner.AddJobState(jobId, state);

    public override void IncrementCounter(string key) => _inner.IncrementCounter(key);

    public override void IncrementCounter(string key, TimeSpan expireIn) => _inner.IncrementCounter(key, expireIn);

    public override void DecrementCounter(string key) => _inner.DecrementCounter(key);

    public override void DecrementCounter(string key, TimeSpan expireIn) => _inner.DecrementCounter(key, expireIn);

    public override void AddToSet(string key, string value)
    {
        if (string.Equals(key, StorageKeys.HangfireSchedule, StringComparison.Ordinal))
        {
            AddToSet(key, value, 0.0);
            return;
        }

        _inner.AddToSet(key, value);
    }

    public override void InsertToList(string key, string value) => _inner.InsertToList(key, value);

    public override void RemoveFromList(string key, string value) => _inner.RemoveFromList(key, value);

    public override void TrimList(string key, int keepStartingFrom, int keepEndingAt) => _inner.TrimList(key, keepStartingFrom, keepEndingAt);

    public override void SetRangeInHash(string key, IEnumerable<KeyValuePair<string, string>> keyValuePairs) => _inner.SetRangeInHash(key, keyValuePairs);

    public override void RemoveHash(string key) => _inner.RemoveHash(key);

    public override void ExpireSet(string key, TimeSpan expireIn) => _inner.ExpireSet(key, expireIn);

    public override void ExpireList(string key, TimeSpan expireIn) => _inner.ExpireList(key, expireIn);

    public override void ExpireHash(string key, TimeSpan expireIn) => _inner.ExpireHash(key, expireIn);

    public override void PersistSet(string key) => _inner.PersistSet(key);

    public override void PersistList(string key) => _inner.PersistList(key);

    public override void PersistHash(string key) => _inner.PersistHash(key);

    public override void AddRangeToSet(string key, IList<string> items) => _inner.AddRangeToSet(key, items);

    public override void RemoveSet(string key) => _inner.RemoveSet(key);

    public override void AcquireDistributedLock(string resource, TimeSpan timeout) => _inner.AcquireDistributedLock(resource, timeout);

    public override string CreateJob(Job job, IDictionary<string, string> parameters, DateTime createdAt, TimeSpan expireIn)
    {
        var id = _inner.CreateJob(job, parameters, createdAt, expireIn);
        _connection.RememberCreated(id, job, createdAt); // Not readable before commit: keep its payload.
        return id;
    }

    public override void Dispose()
    {
        _inner.Dispose();
        base.Dispose();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"ElasticSqs transaction ({_sends.Count} send(s)) over {_inner}");
}
