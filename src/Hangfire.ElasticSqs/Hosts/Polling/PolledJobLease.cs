using Hangfire.ElasticSqs.Pipeline;

namespace Hangfire.ElasticSqs.Hosts.Polling;

/// <summary>
/// A received message whose job a worker runs: acknowledging deletes the message, giving it back makes it visible at
/// once for another process. Either ends the visibility extension and the pipeline's hold on the job.
/// </summary>
internal sealed class PolledJobLease : IDeliveryLease
{
    private readonly PollingHost _host;
    private readonly DeliveryPipeline _pipeline;
    private readonly PolledMessage _message;
    private int _ended;

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
        if (End())
        {
            IsAcknowledged = true;
            _host.Telemetry.Finished(Host, DeliveryStatus.Completed);
            _host.Keeper.Forget(_message);
            _host.Receipts.Delete(_message);
        }
    }

    public void GiveBack()
    {
        if (End())
        {
            _host.GiveBack(_message);
            _host.Telemetry.Finished(Host, DeliveryStatus.Unavailable);
        }
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
