using System.Collections.Concurrent;
using Hangfire.ElasticSqs.Storage;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Enqueue;

/// <summary>
/// The transactional outbox: a send is recorded in the inner storage in the same commit as the job's state, sent
/// after the commit, and cleared once SQS accepted it. Records nobody cleared (a crash, an SQS outage) are re-sent
/// by <see cref="SweepAsync"/>, so an enqueue that returned is never lost, given a durable inner storage.
/// </summary>
internal sealed class Outbox
{
    private const string RetryCountParameter = "RetryCount";
    private readonly JobStorage _inner;
    private readonly JobMessagePublisher _publisher;
    private readonly ElasticSqsStorageOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    // Records this process is sending right now: the sweeper leaves them alone, so a slow send is not doubled.
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);

    // Records SQS accepted, waiting to be removed from the inner storage. Clearing is off the caller's path (one
    // inner transaction less per enqueue: a database round trip on PostgreSQL) and coalesced across concurrent
    // enqueues; the records stay in flight until cleared, so the sweeper never re-sends them meanwhile.
    private readonly ConcurrentQueue<PendingSend> _toClear = new();
    private readonly object _clearLock = new();
    private int _clearing;

    public Outbox(JobStorage inner, JobMessagePublisher publisher, ElasticSqsStorageOptions options, TimeProvider time, ILogger logger)
    {
        _inner = inner;
        _publisher = publisher;
        _options = options;
        _time = time;
        _logger = logger;
    }

    public JobMessagePublisher Publisher => _publisher;

    /// <summary>Records a send in the inner transaction, to commit together with the job's state.</summary>
    public void Record(IWriteOnlyTransaction innerTransaction, PendingSend send)
    {
        var value = send.ToOutboxValue();
        _inFlight.TryAdd(value, 0);
        innerTransaction.AddToSet(StorageKeys.Outbox, value, _time.GetUtcNow().ToUnixTimeSeconds());
    }

    /// <summary>Forgets in-flight marks of sends whose commit failed (nothing was recorded).</summary>
    public void Abandon(IEnumerable<PendingSend> sends)
    {
        foreach (var send in sends)
        {
            _inFlight.TryRemove(send.ToOutboxValue(), out _);
        }
    }

    /// <summary>
    /// Sends committed records, clears the ones SQS accepted (off the caller's path, coalesced; see
    /// <see cref="FlushClears"/>), and returns the ones that failed with their error (they stay in the outbox for the sweeper).
    /// </summary>
    public async Task<IReadOnlyList<(PreparedSend Send, Exception Error)>> SendAsync(IReadOnlyList<PreparedSend> sends, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(sends.Select(async send =>
        {
            try
            {
                await _publisher.SendAsync(send, cancellationToken).ConfigureAwait(false);
                return (send, (Exception?)null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return (send, ex);
            }
        })).ConfigureAwait(false);

        List<(PreparedSend, Exception)>? failures = null;
        foreach (var (send, error) in results)
        {
            if (error is null)
            {
                _toClear.Enqueue(send.Pending); // stays in flight until cleared
            }
            else
            {
                _inFlight.TryRemove(send.Pending.ToOutboxValue(), out _);
                (failures ??= []).Add((send, error));
            }
        }

        ScheduleClear();
        return failures ?? (IReadOnlyList<(PreparedSend Send, Exception Error)>)[];
    }

    /// <summary>Removes the records of every send SQS accepted so far from the inner storage, now.</summary>
    public void FlushClears()
    {
        lock (_clearLock)
        {
            var batch = new List<PendingSend>();
            while (_toClear.TryDequeue(out var send))
            {
                batch.Add(send);
            }

            if (batch.Count == 0)
            {
                return;
            }

            try
            {
                Clear(batch);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The records stay; the sweeper sends them again (a duplicate message, which the worker recognises).
                _logger.LogWarning(ex, "Could not clear {Count} outbox record(s) of sent job messages; the sweeper will send them again", batch.Count);
            }
            finally
            {
                foreach (var send in batch)
                {
                    _inFlight.TryRemove(send.ToOutboxValue(), out _);
                }
            }
        }
    }

    private void ScheduleClear()
    {
        if (_toClear.IsEmpty || Interlocked.CompareExchange(ref _clearing, 1, 0) != 0)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            static outbox =>
            {
                do
                {
                    outbox.FlushClears();
                    Volatile.Write(ref outbox._clearing, 0);
                }
                while (!outbox._toClear.IsEmpty && Interlocked.CompareExchange(ref outbox._clearing, 1, 0) == 0);
            },
            this,
            preferLocal: false);
    }

    /// <summary>Gives up on sends for <see cref="SendFailureMode.Throw"/>: the jobs become Failed, the records go.</summary>
    public void FailJobs(IReadOnlyList<(PreparedSend Send, Exception Error)> failures)
    {
        using var connection = _inner.GetConnection();
        using var transaction = connection.CreateWriteTransaction();
        foreach (var (send, error) in failures)
        {
            transaction.SetJobState(send.Pending.JobId, new FailedState(error)
            {
                Reason = "Its SQS message could not be sent, and SendFailureMode is Throw: the enqueue was refused.",
            });
            transaction.RemoveFromSet(StorageKeys.Outbox, send.Pending.ToOutboxValue());
            transaction.RemoveFromSet(StorageKeys.Queue(send.Pending.Queue), send.Pending.JobId);
        }

        transaction.Commit();
    }

    /// <summary>Re-sends records older than <see cref="ElasticSqsStorageOptions.OutboxResendAfter"/>; returns how many went out.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        using var connection = _inner.GetConnection();
        IDisposable sweeperLock;
        try
        {
            sweeperLock = connection.AcquireDistributedLock(StorageKeys.OutboxSweeperLock, TimeSpan.FromSeconds(1));
        }
        catch (DistributedLockTimeoutException)
        {
            return 0; // Another instance is sweeping.
        }

        using (sweeperLock)
        {
            var claimed = ClaimStale((JobStorageConnection)connection);
            var prepared = new List<PreparedSend>();
            var sending = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                var orphaned = new List<PendingSend>();
                foreach (var value in claimed)
                {
                    if (!PendingSend.TryParse(value, out var pending))
                    {
                        _logger.LogWarning("Dropping an unreadable outbox record {Record}", value);
                        RemoveRaw(value);
                        continue;
                    }

                    try
                    {
                        var payload = JobPayload.From(connection.GetJobData(pending.JobId));
                        var retry = JobPayload.ParseRetryCount(connection.GetJobParameter(pending.JobId, RetryCountParameter));
                        if (_publisher.Prepare(pending, payload, retry) is { } ready)
                        {
                            prepared.Add(ready);
                            sending.Add(value);
                        }
                        else
                        {
                            orphaned.Add(pending); // The job expired or was deleted: nothing left to deliver.
                        }
                    }
                    catch (UnknownQueueException ex)
                    {
                        // Not a property of the message: the queue may be created or mapped later (or SQS may be
                        // restoring it), so the record stays and goes out then; dropping it would lose an accepted job.
                        _logger.LogError(ex, "Outbox record for job {JobId} waits: its SQS queue is unknown right now; it is sent once the queue exists", pending.JobId);
                    }
                    catch (Exception ex) when (ex is JobTooLargeException or NotSupportedException)
                    {
                        _logger.LogError(ex, "Outbox record for job {JobId} can never be sent; dropping it", pending.JobId);
                        orphaned.Add(pending);
                    }
                }

                Clear(orphaned);
            }
            catch
            {
                // Nothing was sent: every claimed record stays for the next sweep.
                sending.Clear();
                prepared.Clear();
                throw;
            }
            finally
            {
                // The records this sweep does not send are no longer in flight here (those it sends are released by SendAsync).
                foreach (var value in claimed.Where(value => !sending.Contains(value)))
                {
                    _inFlight.TryRemove(value, out _);
                }
            }

            var failures = await SendAsync(prepared, cancellationToken).ConfigureAwait(false);
            foreach (var (send, error) in failures)
            {
                _logger.LogWarning(error, "Outbox re-send of job {JobId} to Hangfire queue {Queue} failed; will retry", send.Pending.JobId, send.Pending.Queue);
            }

            if (prepared.Count > failures.Count)
            {
                _logger.LogInformation("Outbox sweeper re-sent {Count} pending job message(s)", prepared.Count - failures.Count);
            }

            return prepared.Count - failures.Count;
        }
    }

    /// <summary>
    /// Marks the stale records as in flight for this sweep and returns those still in the outbox afterwards. A record
    /// read as stale may be cleared by this process a moment later (its send had succeeded; the clearer drops the
    /// in-flight mark after its commit): checking the mark and then sending would send it twice. Claiming first and
    /// reading again closes that gap: a record whose clear committed before the claim is gone from the second read.
    /// </summary>
    private List<string> ClaimStale(JobStorageConnection connection)
    {
        var staleBefore = (_time.GetUtcNow() - _options.OutboxResendAfter).ToUnixTimeSeconds();
        var claimed = connection.GetFirstByLowestScoreFromSet(StorageKeys.Outbox, double.MinValue, staleBefore, 100)
            .Where(value => _inFlight.TryAdd(value, 0))
            .ToList();
        if (claimed.Count == 0)
        {
            return claimed;
        }

        var stillThere = connection.GetFirstByLowestScoreFromSet(StorageKeys.Outbox, double.MinValue, staleBefore, 200).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in claimed.Where(value => !stillThere.Contains(value)))
        {
            _inFlight.TryRemove(gone, out _);
        }

        return claimed.Where(stillThere.Contains).ToList();
    }

    /// <summary>How many sends are pending (committed, not yet accepted by SQS).</summary>
    public long PendingCount()
    {
        FlushClears(); // sends SQS accepted are not pending, even if their records are still being removed
        using var connection = _inner.GetConnection();
        return ((JobStorageConnection)connection).GetSetCount(StorageKeys.Outbox);
    }

    private void Clear(List<PendingSend> sends)
    {
        if (sends.Count == 0)
        {
            return;
        }

        using var connection = _inner.GetConnection();
        using var transaction = connection.CreateWriteTransaction();
        foreach (var send in sends)
        {
            transaction.RemoveFromSet(StorageKeys.Outbox, send.ToOutboxValue());
        }

        transaction.Commit();
    }

    private void RemoveRaw(string value)
    {
        using var connection = _inner.GetConnection();
        using var transaction = connection.CreateWriteTransaction();
        transaction.RemoveFromSet(StorageKeys.Outbox, value);
        transaction.Commit();
    }
}
