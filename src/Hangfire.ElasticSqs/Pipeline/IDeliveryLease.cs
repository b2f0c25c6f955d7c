namespace Hangfire.ElasticSqs.Pipeline;

/// <summary>
/// A host's hold on one delivered job while a Hangfire worker runs it: acknowledged once the job's outcome is recorded,
/// or given back so that the message is delivered again. Whichever comes first wins; later calls do nothing.
/// </summary>
internal interface IDeliveryLease
{
    string JobId { get; }

    string Queue { get; }

    bool IsAcknowledged { get; }

    /// <summary>The host that delivered it (sqsd, poll, lambda), for metrics and traces.</summary>
    string Host { get; }

    /// <summary>The enqueue's W3C trace context, validated; null when the message carried none.</summary>
    string? TraceParent { get; }

    /// <summary>When the delivery became ready for a worker (a <see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
    long ReadyAt { get; }

    void Acknowledge();

    void GiveBack();
}
