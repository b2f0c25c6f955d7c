using Hangfire.ElasticSqs.Pipeline;

namespace Hangfire.ElasticSqs.Hosts.Polling;

/// <summary>
/// A received message whose job a worker runs: acknowledging deletes the message, giving it back makes it visible at
/// once for another process. Either ends the visibility extension and the pipeline's hold on the job. A job still
/// running near SQS's 12-hour visibility limit is handed over to a lease (its message deleted, the job Processing on
/// this live server); giving it back then enqueues it again instead.
/// </summary>
internal sealed class PolledJobLease : IDeliveryLease
{
    private readonly PollingHost _host;
    private readonly DeliveryPipeline _pipeline;
    private readonly PolledMessage _message;
    private readonly object _gate = new();
    private int _ended;
    private bool _leased;

    public PolledJobLease(PollingHost host, DeliveryPipeline pipeline, PolledMessage message, string jobId, string queue, string? traceParent = null)
    {
        _host = host;
        _pipeline = pipeline;
        _message = message;
        JobId = jobId;
        Queue = queue;
        TraceParent = traceParent;
        ReadyAt = message.ReceivedAt;
    }

    public string Host => "poll";

    public string? TraceParent { get; }

    public long ReadyAt { get; }

    public string JobId { get; }

    public string Queue { get; }

    public bool IsAcknowledged { get; private set; }

    public void Acknowledge()
    {
        lock (_gate)
        {
            if (!End())
            {
                return;
            }

            IsAcknowledged = true;
            _host.Telemetry.Finished(Host, DeliveryStatus.Completed);
            if (_leased)
            {
                return; // The message was deleted when the lease took over.
            }
        }

        _host.Keeper.Forget(_message);
        _host.Receipts.Delete(_message);
    }

    public void GiveBack()
    {
        lock (_gate)
        {
            if (!End())
            {
                return;
            }

            _host.Telemetry.Finished(Host, DeliveryStatus.Unavailable);
            if (!_leased)
            {
                _host.GiveBack(_message);
                return;
            }
        }

        _host.Storage.Leases.Requeue(JobId, Queue, "Given back by its worker (shutting down) while running under a lease: sent again");
    }

    /// <summary>
    /// Deletes the message and lets the job go on under a lease, when the inner storage is durable and the job's
    /// Processing state on a live server is recorded (read back first, so a crash after the delete leaves a job that
    /// lease recovery sends again). False when the job has ended, or the lease cannot be taken.
    /// </summary>
    public bool TryHandOverToLease()
    {
        if (!_host.Storage.LeasesJobs || Volatile.Read(ref _ended) != 0 || !_host.Storage.Leases.IsRecorded(JobId, DeliverySettings.Default))
        {
            return false;
        }

        lock (_gate)
        {
            if (Volatile.Read(ref _ended) != 0)
            {
                return false;
            }

            _leased = true;
        }

        _host.Keeper.Forget(_message);
        _host.Receipts.Delete(_message);
        return true;
    }

    private bool End()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return false;
        }

        _pipeline.Release(JobId);
        _message.Poller?.Finished(_message);
        return true;
    }
}
