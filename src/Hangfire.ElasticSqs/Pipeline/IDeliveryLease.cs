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

    void Acknowledge();

    void GiveBack();
}
