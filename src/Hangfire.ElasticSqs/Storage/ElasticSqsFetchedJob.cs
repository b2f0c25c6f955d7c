using Hangfire.ElasticSqs.Delivery;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Storage;

/// <summary>
/// A job delivered by sqsd, held by a Hangfire worker. Acknowledging it (after the final state is committed) lets
/// the endpoint answer 200; giving it back, or disposing it unacknowledged, makes the endpoint answer 503 so that
/// SQS delivers the message again.
/// </summary>
internal sealed class ElasticSqsFetchedJob : IFetchedJob
{
    private readonly ElasticSqsStorage _storage;
    private readonly JobDelivery _delivery;
    private bool _removedFromView;

    public ElasticSqsFetchedJob(ElasticSqsStorage storage, JobDelivery delivery)
    {
        _storage = storage;
        _delivery = delivery;
    }

    public string JobId => _delivery.JobId;

    public string Queue => _delivery.Queue;

    /// <summary>Non-transactional acknowledge: clears the Dashboard's queue entry, then acknowledges.</summary>
    public void RemoveFromQueue()
    {
        if (_delivery.Completion.Task.IsCompleted)
        {
            return; // Already acknowledged inside the final state transaction.
        }

        if (!_removedFromView)
        {
            using var connection = _storage.InnerStorage.GetConnection();
            using var transaction = connection.CreateWriteTransaction();
            transaction.RemoveFromSet(StorageKeys.Queue(Queue), JobId);
            transaction.Commit();
            _removedFromView = true;
        }

        Acknowledge();
    }

    public void Requeue() => _delivery.Completion.TrySetResult(DeliveryOutcome.Requeued);

    internal void Acknowledge() => _delivery.Completion.TrySetResult(DeliveryOutcome.Acknowledged);

    public void Dispose() => Requeue();
}
