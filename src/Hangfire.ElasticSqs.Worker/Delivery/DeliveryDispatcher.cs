using System.Globalization;
using Hangfire.ElasticSqs.Delivery;
using Hangfire.ElasticSqs.Enqueue;
using Hangfire.ElasticSqs.Messages;
using Hangfire.States;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Worker.Delivery;

/// <summary>
/// Decides what to do with a verified job message and, when the job should run, hands it to a Hangfire worker
/// through the channel bridge and waits for its recorded outcome. The inner storage is the truth about a job when it
/// created the message; otherwise (web and worker on separate in-memory stores) the message is imported.
/// </summary>
internal sealed class DeliveryDispatcher
{
    private readonly ElasticSqsStorage _storage;
    private readonly ElasticSqsWorkerOptions _options;
    private readonly JobImporter _importer;
    private readonly InFlightJobs _inFlight = new();
    private volatile bool _stopping;

    public DeliveryDispatcher(ElasticSqsStorage storage, ElasticSqsWorkerOptions options)
    {
        _storage = storage;
        _options = options;
        _importer = new JobImporter(storage);
    }

    public InFlightJobs InFlight => _inFlight;

    /// <summary>New deliveries get 503 from now on, and deliveries no worker has taken yet are given back.</summary>
    public void BeginShutdown()
    {
        _stopping = true;

        // Every delivery no worker has taken is still in the channel (a write that races with this is given back by
        // HandOffAsync's own check after writing).
        foreach (var delivery in _storage.Deliveries.Pending())
        {
            if (delivery.TryAbandon())
            {
                delivery.Completion.TrySetResult(DeliveryOutcome.Requeued);
            }
        }
    }

    public async Task<DeliveryResult> DispatchAsync(JobEnvelope envelope, int retry, DateTime? due)
    {
        if (_stopping)
        {
            return new(DeliveryStatus.Unavailable, "shutting down", envelope.JobId);
        }

        string jobId;
        try
        {
            if (string.Equals(envelope.Store, _storage.StoreId, StringComparison.Ordinal))
            {
                jobId = envelope.JobId;
            }
            else
            {
                // Another store created the job: only the signed due time can tell whether it is early.
                if (IsEarly(due))
                {
                    await RedelayAsync(PendingSend.Create(envelope.JobId, envelope.Queue, due), envelope, retry).ConfigureAwait(false);
                    return new(DeliveryStatus.Redelayed, "not due yet; sent again with the remaining delay", envelope.JobId);
                }

                jobId = _importer.ImportOrFind(envelope, retry);
            }
        }
        catch (Exception ex) when (ex is Hangfire.Common.JobLoadException or InvalidOperationException { InnerException: Hangfire.Common.JobLoadException })
        {
            return new(DeliveryStatus.Unrunnable, "the job's type or method cannot be loaded here: " + ex.Message, envelope.JobId);
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            return new(DeliveryStatus.Unavailable, "storage or SQS unreachable: " + ex.GetType().Name, envelope.JobId);
        }

        if (!_inFlight.TryEnter(jobId))
        {
            return new(DeliveryStatus.AlreadyProcessing, "the same job is already running in this process", jobId);
        }

        try
        {
            var skip = await CheckStateAsync(jobId, envelope.Queue, due).ConfigureAwait(false); // synchronous unless re-sent
            if (skip is { Status: DeliveryStatus.Skipped })
            {
                ForgetQueueEntry(jobId, envelope.Queue); // The Enqueued page must not list a job that will never run.
            }

            return skip ?? await HandOffAsync(jobId, envelope.Queue).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsOutage(ex))
        {
            return new(DeliveryStatus.Unavailable, "storage or SQS unreachable: " + ex.GetType().Name, jobId);
        }
        finally
        {
            _inFlight.Exit(jobId);
        }
    }

    /// <summary>Null when the job should run now; otherwise why it does not.</summary>
    private async ValueTask<DeliveryResult?> CheckStateAsync(string jobId, string queue, DateTime? due)
    {
        using var connection = _storage.InnerStorage.GetConnection();
        var state = connection.GetStateData(jobId);
        switch (state?.Name)
        {
            case null:
                return new(DeliveryStatus.Skipped, "the job no longer exists (deleted or expired)", jobId);
            case "Enqueued":
                return null;
            case "Scheduled":
                var enqueueAt = ParseDate(state.Data, "EnqueueAt");
                if (!IsEarly(enqueueAt))
                {
                    return null;
                }

                // Only the message carrying the job's current due time continues the chain; any other is stale
                // (rescheduled since, or an enqueue overtaken by a schedule) and the current one is on its way.
                if (due is { } d && enqueueAt is { } at && (d - at).Duration() < TimeSpan.FromSeconds(1))
                {
                    var payload = JobPayload.From(connection.GetJobData(jobId));
                    var retry = JobPayload.ParseRetryCount(connection.GetJobParameter(jobId, "RetryCount"));
                    if (_storage.Publisher.Prepare(PendingSend.Create(jobId, queue, at), payload, retry) is { } prepared)
                    {
                        await _storage.Publisher.SendAsync(prepared, CancellationToken.None).ConfigureAwait(false);
                        return new(DeliveryStatus.Redelayed, "not due yet; sent again with the remaining delay", jobId);
                    }
                }

                return new(DeliveryStatus.Skipped, "stale delayed message: the job is now due at " + enqueueAt?.ToString("O", CultureInfo.InvariantCulture), jobId);
            case "Processing":
                return IsServerAlive(state.Data.TryGetValue("ServerId", out var serverId) ? serverId : null)
                    ? new(DeliveryStatus.AlreadyProcessing, "the job is processing on live server " + serverId, jobId)
                    : null; // Its server died: run it again (at-least-once).
            default:
                return new(DeliveryStatus.Skipped, $"the job is {state.Name}: a duplicate delivery, not run", jobId);
        }
    }

    private async Task<DeliveryResult> HandOffAsync(string jobId, string queue)
    {
        if (_stopping)
        {
            return new(DeliveryStatus.Unavailable, "shutting down", jobId);
        }

        var delivery = new JobDelivery(jobId, queue);
        _storage.Deliveries.Write(delivery);
        if (_stopping && delivery.TryAbandon())
        {
            // BeginShutdown ran between the check above and the write, and may have missed this delivery.
            return new(DeliveryStatus.Unavailable, "shutting down", jobId);
        }

        var completion = delivery.Completion.Task;
        try
        {
            // One bound for the whole hand-off: a delivery no worker has taken within HandOffTimeout is abandoned,
            // whether all workers were busy or none is running. WaitAsync disposes its timer when the job completes
            // first (a Task.Delay per delivery would keep a timer alive for the whole HandOffTimeout: thousands of
            // them at full rate).
            await completion.WaitAsync(_options.HandOffTimeout, _storage.Time).ConfigureAwait(false);
        }
        catch (TimeoutException) when (delivery.TryAbandon())
        {
            return new(DeliveryStatus.Unavailable, "no worker took the job in time", jobId);
        }
        catch (TimeoutException)
        {
            // A worker took it just as the bound passed: wait for its outcome below.
        }

        // Taken: wait for the outcome however long the job runs. A client that disconnects does not cancel it.
        return await completion.ConfigureAwait(false) == DeliveryOutcome.Acknowledged
            ? new(DeliveryStatus.Completed, "outcome recorded", jobId)
            : new(DeliveryStatus.Unavailable, "the worker gave the job back (shutting down)", jobId);
    }

    private async Task RedelayAsync(PendingSend pending, JobEnvelope envelope, int retry)
    {
        var prepared = _storage.Publisher.Prepare(pending, envelope, "job " + envelope.JobId, retry);
        await _storage.Publisher.SendAsync(prepared, CancellationToken.None).ConfigureAwait(false);
    }

    private void ForgetQueueEntry(string jobId, string queue)
    {
        using var connection = _storage.InnerStorage.GetConnection();
        using var transaction = connection.CreateWriteTransaction();
        transaction.RemoveFromSet(Hangfire.ElasticSqs.Storage.StorageKeys.Queue(queue), jobId);
        transaction.Commit();
    }

    private bool IsEarly(DateTime? due) => due is { } d && d - _storage.Time.GetUtcNow().UtcDateTime > _options.DueTolerance;

    private bool IsServerAlive(string? serverId)
    {
        if (serverId is null)
        {
            return false;
        }

        var server = _storage.InnerStorage.GetMonitoringApi().Servers().FirstOrDefault(s => s.Name == serverId);
        return server?.Heartbeat is { } heartbeat && _storage.Time.GetUtcNow().UtcDateTime - heartbeat < _options.ServerTimeout;
    }

    private static DateTime? ParseDate(IDictionary<string, string> data, string key)
        => data.TryGetValue(key, out var value) ? Hangfire.Common.JobHelper.DeserializeNullableDateTime(value) : null;

    private static bool IsOutage(Exception ex) => JobMessagePublisher.IsTransient(ex) || ex is not (ArgumentException or NullReferenceException);
}
