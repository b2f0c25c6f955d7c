using Hangfire.Server;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Pipeline.Leasing;

/// <summary>
/// Finds jobs left <c>Processing</c> by servers that are dead (gone from the server list, or with a heartbeat older than
/// the server timeout) and enqueues them again, which sends their message through the outbox: a leased job whose
/// instance died runs again elsewhere (at-least-once). Runs in every Hangfire server on a durable inner storage; a
/// distributed lock makes one of them do each round.
/// </summary>
/// <remarks>
/// Hangfire's own <c>ServerWatchdog</c> only removes dead servers from the list; with SQL-style storages the fetched
/// job's invisibility then brings it back, but a job delivered through SQS has no such entry. A missing server counts as
/// dead here, so the two agree. A job that finished meanwhile has left Processing and is not touched (the state change
/// expects Processing), and its enqueued copy is no longer "Processing on a live server", so it is never refused as a
/// duplicate of itself.
/// </remarks>
internal sealed partial class LeaseRecovery : IBackgroundProcess
{
    internal const string LockResource = "elasticsqs:lease-recovery";
    private const int PageSize = 500;

    private readonly ElasticSqsStorage _storage;
    private readonly TimeSpan _serverTimeout;
    private readonly ILogger _logger;

    public LeaseRecovery(ElasticSqsStorage storage, TimeSpan serverTimeout)
    {
        _storage = storage;
        _serverTimeout = serverTimeout;
        _logger = storage.LoggerFactory.CreateLogger<LeaseRecovery>();
        Interval = TimeSpan.FromTicks(Math.Clamp(serverTimeout.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
    }

    /// <summary>How often a round runs: a quarter of the server timeout, between 1 second and 1 minute.</summary>
    public TimeSpan Interval { get; }

    public void Execute(BackgroundProcessContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            RecoverOnce();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailure(ex);
        }

        context.Wait(Interval);
    }

    /// <summary>One round: the number of jobs enqueued again (0 when another server holds the lock).</summary>
    public int RecoverOnce()
    {
        using var connection = _storage.InnerStorage.GetConnection();
        IDisposable held;
        try
        {
            held = connection.AcquireDistributedLock(LockResource, TimeSpan.FromSeconds(1));
        }
        catch (DistributedLockTimeoutException)
        {
            return 0; // Another server is doing this round.
        }

        using (held)
        {
            var monitor = _storage.InnerStorage.GetMonitoringApi();
            var now = _storage.Time.GetUtcNow().UtcDateTime;
            var live = monitor.Servers()
                .Where(s => s.Heartbeat is { } beat && now - beat < _serverTimeout)
                .Select(s => s.Name)
                .ToHashSet(StringComparer.Ordinal);
            var orphans = new List<(string JobId, string? ServerId)>();
            for (var from = 0; ; from += PageSize)
            {
                var page = monitor.ProcessingJobs(from, PageSize);
                orphans.AddRange(page.Where(j => j.Value is not null && (j.Value.ServerId is null || !live.Contains(j.Value.ServerId))).Select(j => (j.Key, (string?)j.Value.ServerId)));
                if (page.Count < PageSize)
                {
                    break;
                }
            }

            var recovered = 0;
            foreach (var (jobId, serverId) in orphans)
            {
                // Read again: the job may have been picked up by a live server since the list was read.
                var state = connection.GetStateData(jobId);
                if (state is null || !string.Equals(state.Name, ProcessingState.StateName, StringComparison.OrdinalIgnoreCase)
                    || (state.Data.TryGetValue("ServerId", out var current) ? current : null) != serverId)
                {
                    continue;
                }

                var reason = $"Its server {serverId ?? "(none)"} stopped sending heartbeats while it was Processing: sent again";
                if (_storage.Leases.Requeue(jobId, QueueOf(monitor, jobId), reason))
                {
                    recovered++;
                }
            }

            return recovered;
        }
    }

    /// <summary>The queue the job was last enqueued to (the state history holds it; Hangfire's job may name its own).</summary>
    private static string QueueOf(IMonitoringApi monitor, string jobId)
    {
        var details = monitor.JobDetails(jobId);
        var enqueued = details?.History?.FirstOrDefault(h => string.Equals(h.StateName, EnqueuedState.StateName, StringComparison.OrdinalIgnoreCase));
        return enqueued?.Data is { } data && data.TryGetValue("Queue", out var queue) && !string.IsNullOrEmpty(queue)
            ? queue
            : details?.Job?.Queue ?? EnqueuedState.DefaultQueue;
    }

    public override string ToString() => "Hangfire.ElasticSqs lease recovery";

    internal void LogFailure(Exception exception) => LogRoundFailed(_logger, exception, Interval);

    [LoggerMessage(92, LogLevel.Warning, "Lease recovery round failed; trying again in {Interval}")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception, TimeSpan interval);
}

/// <summary>
/// <see cref="LeaseRecovery"/> for inner storages that still hand Hangfire servers components instead of processes
/// (Hangfire.PostgreSql among them): the server then asks the storage for components only.
/// </summary>
#pragma warning disable CS0618 // IServerComponent is what such a server runs.
internal sealed class LeaseRecoveryComponent : IServerComponent
#pragma warning restore CS0618
{
    private readonly LeaseRecovery _recovery;

    public LeaseRecoveryComponent(LeaseRecovery recovery) => _recovery = recovery;

    public void Execute(CancellationToken cancellationToken)
    {
        try
        {
            _recovery.RecoverOnce();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _recovery.LogFailure(ex);
        }

        cancellationToken.WaitHandle.WaitOne(_recovery.Interval);
    }

    public override string ToString() => _recovery.ToString();
}
