using System.Globalization;
using Hangfire.ElasticSqs.Enqueue;
using Hangfire.ElasticSqs.Messages;

namespace Hangfire.ElasticSqs.Pipeline;

/// <summary>
/// The one delivery pipeline every host feeds: verify the signature (before anything is parsed), read the envelope,
/// then decide — skip a finished, deleted or stale job, re-delay an early one, hold back a duplicate of a running job,
/// import a job from another store, refuse an unloadable type. It knows nothing about HTTP or SQS receipts: hosts map
/// its <see cref="DeliveryResult"/> onto their own protocol.
/// </summary>
/// <remarks>
/// The inner storage is the truth about a job when it created the message; otherwise (web and worker on separate
/// in-memory stores) the verified payload is imported.
/// </remarks>
internal sealed class DeliveryPipeline
{
    private readonly ElasticSqsStorage _storage;
    private readonly JobImporter _importer;
    private readonly JobTypeAllowList _allowedTypes;

    public DeliveryPipeline(ElasticSqsStorage storage)
    {
        _storage = storage;
        _importer = new JobImporter(storage);
        _allowedTypes = new JobTypeAllowList(storage.Options.AllowedJobTypes);
    }

    /// <summary>Jobs this process is deciding on or running, so a duplicate delivery never runs one concurrently.</summary>
    public InFlightJobs InFlight { get; } = new();

    /// <summary>Verifies, then parses. Nothing in the body or the attributes is read before the signature verifies.</summary>
    public bool TryRead(ReadOnlySpan<byte> body, Func<string, string?> attribute, out VerifiedMessage message, out DeliveryResult refusal)
    {
        message = default;
        var signature = attribute(MessageAttributeNames.Signature);
        var version = _storage.Signer.VerifiedVersion(body, attribute, signature);
        if (version == 0)
        {
            refusal = new(DeliveryStatus.Forbidden, signature is null ? "no signature" : "signature does not verify (wrong, altered, from a retired key, or signed for another SigningAudience)");
            return false;
        }

        if (ReplayGuard.Refusal(version, attribute(MessageAttributeNames.Sent), _storage.Time.GetUtcNow(), _storage.Options) is { } replay)
        {
            refusal = new(DeliveryStatus.Forbidden, replay);
            return false;
        }

        JobEnvelope envelope;
        try
        {
            envelope = JobEnvelope.Parse(body);
        }
        catch (FormatException ex)
        {
            refusal = new(DeliveryStatus.Malformed, ex.Message);
            return false;
        }

        if (!string.Equals(envelope.JobId, attribute(MessageAttributeNames.JobId), StringComparison.Ordinal))
        {
            refusal = new(DeliveryStatus.Malformed, "the job id attribute does not match the envelope", envelope.JobId);
            return false;
        }

        if (!Configuration.ElasticSqsOptionsValidator.IsHangfireQueueName(envelope.Queue))
        {
            refusal = new(DeliveryStatus.Malformed, $"the envelope's queue '{Truncate(envelope.Queue)}' is not a Hangfire queue name (lower-case letters, digits, '_' and '-')", envelope.JobId);
            return false;
        }

        // Before any type is resolved: same-store jobs are resolved by the Hangfire worker, imported ones by the importer.
        if (_allowedTypes.Refusal(envelope.JobPayload) is { } notAllowed)
        {
            refusal = new(DeliveryStatus.Unrunnable, notAllowed, envelope.JobId);
            return false;
        }

        var retry = int.TryParse(attribute(MessageAttributeNames.Retry), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0;
        DateTime? due = long.TryParse(attribute(MessageAttributeNames.Due), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime
            : null;
        message = new VerifiedMessage(envelope, retry, due, Diagnostics.ElasticSqsTelemetry.ValidTraceParent(attribute(MessageAttributeNames.TraceParent)));
        refusal = default;
        return true;
    }

    /// <summary>
    /// Decides whether the job runs now. When it does, the job id stays in <see cref="InFlight"/> until
    /// <see cref="Release"/>; otherwise the result says why not (any re-send is already done).
    /// </summary>
    public async ValueTask<DeliveryDecision> DecideAsync(VerifiedMessage message, DeliverySettings settings)
    {
        var envelope = message.Envelope;
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
                if (IsEarly(message.Due, settings))
                {
                    var prepared = _storage.Publisher.Prepare(PendingSend.Create(envelope.JobId, envelope.Queue, message.Due), envelope, "job " + envelope.JobId, message.Retry, message.TraceParent);
                    await _storage.Publisher.SendAsync(prepared, CancellationToken.None).ConfigureAwait(false);
                    return DeliveryDecision.Done(new(DeliveryStatus.Redelayed, "not due yet; sent again with the remaining delay", envelope.JobId));
                }

                jobId = _importer.ImportOrFind(envelope, message.Retry);
            }
        }
        catch (Exception ex) when (ex is Hangfire.Common.JobLoadException or InvalidOperationException { InnerException: Hangfire.Common.JobLoadException })
        {
            return DeliveryDecision.Done(new(DeliveryStatus.Unrunnable, "the job's type or method cannot be loaded here: " + ex.Message, envelope.JobId));
        }
        catch (Exception ex) when (OutageClassifier.IsOutage(ex))
        {
            return DeliveryDecision.Done(new(DeliveryStatus.Unavailable, "storage or SQS unreachable: " + ex.GetType().Name, envelope.JobId));
        }
        catch (Exception ex)
        {
            return DeliveryDecision.Done(Unexpected(ex, envelope.JobId));
        }

        if (!InFlight.TryEnter(jobId))
        {
            return DeliveryDecision.Done(new(DeliveryStatus.AlreadyProcessing, "the same job is already running in this process", jobId));
        }

        try
        {
            var skip = await CheckStateAsync(jobId, envelope.Queue, message.Due, message.TraceParent, settings).ConfigureAwait(false); // synchronous unless re-sent
            if (skip is null)
            {
                return DeliveryDecision.Run(jobId, envelope.Queue);
            }

            if (skip.Value.Status == DeliveryStatus.Skipped)
            {
                ForgetQueueEntry(jobId, envelope.Queue); // The Enqueued page must not list a job that will never run.
            }

            InFlight.Exit(jobId);
            return DeliveryDecision.Done(skip.Value);
        }
        catch (Exception ex) when (OutageClassifier.IsOutage(ex))
        {
            InFlight.Exit(jobId);
            return DeliveryDecision.Done(new(DeliveryStatus.Unavailable, "storage or SQS unreachable: " + ex.GetType().Name, jobId));
        }
        catch (Exception ex)
        {
            InFlight.Exit(jobId);
            return DeliveryDecision.Done(Unexpected(ex, jobId));
        }
    }

    /// <summary>Ends the hold <see cref="DecideAsync"/> took on a job it said to run.</summary>
    public void Release(string jobId) => InFlight.Exit(jobId);

    /// <summary>Null when the job should run now; otherwise why it does not.</summary>
    private async ValueTask<DeliveryResult?> CheckStateAsync(string jobId, string queue, DateTime? due, string? traceParent, DeliverySettings settings)
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
                if (!IsEarly(enqueueAt, settings))
                {
                    return null;
                }

                // Only the message carrying the job's current due time continues the chain; any other is stale
                // (rescheduled since, or an enqueue overtaken by a schedule) and the current one is on its way.
                if (due is { } d && enqueueAt is { } at && (d - at).Duration() < TimeSpan.FromSeconds(1))
                {
                    var payload = JobPayload.From(connection.GetJobData(jobId));
                    var retry = JobPayload.ParseRetryCount(connection.GetJobParameter(jobId, "RetryCount"));
                    if (_storage.Publisher.Prepare(PendingSend.Create(jobId, queue, at), payload, retry, traceParent) is { } prepared)
                    {
                        await _storage.Publisher.SendAsync(prepared, CancellationToken.None).ConfigureAwait(false);
                        return new(DeliveryStatus.Redelayed, "not due yet; sent again with the remaining delay", jobId);
                    }
                }

                return new(DeliveryStatus.Skipped, "stale delayed message: the job is now due at " + enqueueAt?.ToString("O", CultureInfo.InvariantCulture), jobId);
            case "Processing":
                return IsServerAlive(state.Data.TryGetValue("ServerId", out var serverId) ? serverId : null, settings)
                    ? new(DeliveryStatus.AlreadyProcessing, "the job is processing on live server " + serverId, jobId)
                    : null; // Its server died: run it again (at-least-once).
            default:
                return new(DeliveryStatus.Skipped, $"the job is {state.Name}: a duplicate delivery, not run", jobId);
        }
    }

    private void ForgetQueueEntry(string jobId, string queue)
    {
        using var connection = _storage.InnerStorage.GetConnection();
        using var transaction = connection.CreateWriteTransaction();
        transaction.RemoveFromSet(Storage.StorageKeys.Queue(queue), jobId);
        transaction.Commit();
    }

    private bool IsEarly(DateTime? due, DeliverySettings settings) => due is { } d && d - _storage.Time.GetUtcNow().UtcDateTime > settings.DueTolerance;

    internal bool IsServerAlive(string? serverId, DeliverySettings settings)
    {
        if (serverId is null)
        {
            return false;
        }

        var server = _storage.InnerStorage.GetMonitoringApi().Servers().FirstOrDefault(s => s.Name == serverId);
        return server?.Heartbeat is { } heartbeat && _storage.Time.GetUtcNow().UtcDateTime - heartbeat < settings.ServerTimeout;
    }

    private static DateTime? ParseDate(IDictionary<string, string> data, string key)
        => data.TryGetValue(key, out var value) ? Hangfire.Common.JobHelper.DeserializeNullableDateTime(value) : null;

    // Not an outage, so retrying soon will not help: the message goes the way of every message that cannot run. Only
    // the type is reported; an exception's message can carry connection strings or job arguments.
    private static DeliveryResult Unexpected(Exception ex, string jobId)
        => new(DeliveryStatus.Unrunnable, $"unexpected {ex.GetType().Name} while deciding on the job (not an outage): left for the dead-letter queue", jobId);

    private static string Truncate(string value) => value.Length <= 100 ? value : value[..100] + "…";
}
