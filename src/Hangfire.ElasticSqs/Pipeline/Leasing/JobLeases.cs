using Hangfire.ElasticSqs.Pipeline.ChannelBridge;
using Hangfire.States;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Pipeline.Leasing;

/// <summary>
/// A job that outlives its host's hold goes on under a lease: its <c>Processing</c> state on a server whose heartbeat
/// is alive. That state is the only record the lease needs, and Hangfire's worker commits it before the job starts,
/// so it is durable before any host answers for the message. A leased job whose worker gives it back, or whose server
/// dies (see <see cref="LeaseRecovery"/>), is enqueued again, which sends its message through the outbox.
/// </summary>
internal sealed partial class JobLeases
{
    private readonly ElasticSqsStorage _storage;
    private readonly ILogger _logger;

    public JobLeases(ElasticSqsStorage storage, ILogger logger)
    {
        _storage = storage;
        _logger = logger;
    }

    /// <summary>Whether the job's lease is recorded: it is Processing on a server whose heartbeat is alive.</summary>
    public bool IsRecorded(string jobId, DeliverySettings settings)
    {
        using var connection = _storage.InnerStorage.GetConnection();
        var state = connection.GetStateData(jobId);
        return state is not null
            && string.Equals(state.Name, ProcessingState.StateName, StringComparison.OrdinalIgnoreCase)
            && state.Data.TryGetValue("ServerId", out var serverId)
            && _storage.Pipeline.IsServerAlive(serverId, settings);
    }

    /// <summary>A worker gave back a leased job (shutting down): its message is gone, so the job is sent again.</summary>
    public void GiveBack(JobDelivery delivery)
        => Requeue(delivery.JobId, delivery.Queue, "Given back by its worker (shutting down) while running under a lease: sent again");

    /// <summary>
    /// Moves the job from Processing to Enqueued, which records an outbox entry in the same commit and sends the job's
    /// message after it. Does nothing when the job has left Processing meanwhile (finished, deleted, requeued).
    /// </summary>
    public bool Requeue(string jobId, string queue, string reason)
    {
        try
        {
            var client = new BackgroundJobClient(_storage);
            var changed = client.ChangeState(jobId, new EnqueuedState(queue) { Reason = reason }, ProcessingState.StateName);
            if (changed)
            {
                LogRequeued(_logger, jobId, queue, reason);
            }

            return changed;
        }
#pragma warning disable CA1031 // A failure here must not throw into Hangfire's worker: lease recovery is the fallback.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogRequeueFailed(_logger, ex, jobId);
            return false;
        }
    }

    [LoggerMessage(90, LogLevel.Information, "Leased job {JobId} enqueued again on queue {Queue}: {Reason}")]
    private static partial void LogRequeued(ILogger logger, string jobId, string queue, string reason);

    [LoggerMessage(91, LogLevel.Warning, "Could not enqueue leased job {JobId} again; it stays Processing, and lease recovery sends it again once its server's heartbeat is older than the server timeout")]
    private static partial void LogRequeueFailed(ILogger logger, Exception exception, string jobId);
}
