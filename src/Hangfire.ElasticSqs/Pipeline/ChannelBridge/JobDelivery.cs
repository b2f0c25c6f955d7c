namespace Hangfire.ElasticSqs.Pipeline.ChannelBridge;

/// <summary>How a delivery handed to a Hangfire worker ended.</summary>
internal enum DeliveryOutcome
{
    /// <summary>The worker acknowledged it after recording the job's outcome: the host reports success.</summary>
    Acknowledged,

    /// <summary>The worker gave it back (shutdown, aborted): the message is delivered again.</summary>
    Requeued,
}

/// <summary>
/// One job delivery from a pushing host (the sqsd endpoint) to a Hangfire worker, with the completion the host awaits.
/// A delivery is taken at most once: the host may abandon it (no worker in time), and a worker then skips it.
/// </summary>
internal sealed class JobDelivery : IDeliveryLease
{
    private const int Pending = 0;
    private const int Taken = 1;
    private const int Abandoned = 2;
    private readonly object _outcome = new();
    private int _state;
    private Action<JobDelivery>? _leasedGiveBack;

    public JobDelivery(string jobId, string queue, string host = "sqsd", string? traceParent = null)
    {
        JobId = jobId;
        Queue = queue;
        Host = host;
        TraceParent = traceParent;
    }

    public string Host { get; }

    public string? TraceParent { get; }

    public long ReadyAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    public string JobId { get; }

    public string Queue { get; }

    /// <summary>
    /// The outcome the endpoint awaits. Its continuation (the rest of the HTTP request) runs on the thread pool, never on
    /// the worker that completes it inside the storage transaction's commit: inline, it would run the application's
    /// middleware on Hangfire's worker threads, for no gain (docs/performance.md, "Tried and reverted").
    /// </summary>
    public TaskCompletionSource<DeliveryOutcome> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Claims the delivery for a worker; false if the endpoint already gave up on it.</summary>
    public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Pending) == Pending;

    /// <summary>True once the endpoint gave up on the delivery (no worker will run it).</summary>
    public bool IsAbandoned => Volatile.Read(ref _state) == Abandoned;

    /// <summary>Gives up on the delivery before any worker took it; false if a worker already has it.</summary>
    public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Pending) == Pending;

    public bool IsAcknowledged => Completion.Task.IsCompletedSuccessfully && Completion.Task.Result == DeliveryOutcome.Acknowledged;

    /// <summary>True once the host answered for the message while the job still runs (its message is deleted).</summary>
    public bool IsLeased => Volatile.Read(ref _leasedGiveBack) is not null;

    /// <summary>
    /// Turns the delivery into a lease: the host answers for the message now, so a later give-back can no longer hand
    /// the message back and runs <paramref name="giveBack"/> instead (which sends the job again). False when the
    /// worker already acknowledged or gave the job back: the outcome stands.
    /// </summary>
    public bool TryLease(Action<JobDelivery> giveBack)
    {
        lock (_outcome)
        {
            if (Completion.Task.IsCompleted)
            {
                return false;
            }

            Volatile.Write(ref _leasedGiveBack, giveBack);
            return true;
        }
    }

    public void Acknowledge()
    {
        lock (_outcome)
        {
            Completion.TrySetResult(DeliveryOutcome.Acknowledged);
        }
    }

    public void GiveBack()
    {
        Action<JobDelivery>? leasedGiveBack;
        lock (_outcome)
        {
            if (!Completion.TrySetResult(DeliveryOutcome.Requeued))
            {
                return; // Acknowledged (or given back) already: Hangfire's worker disposes every fetched job.
            }

            leasedGiveBack = _leasedGiveBack;
        }

        leasedGiveBack?.Invoke(this);
    }
}
