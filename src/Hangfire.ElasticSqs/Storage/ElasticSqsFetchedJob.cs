using Hangfire.ElasticSqs.Pipeline;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Storage;

/// <summary>
/// A delivered job held by a Hangfire worker, whichever host delivered it. Acknowledging it (after the final state is
/// committed) tells the host the job is done with; giving it back, or disposing it unacknowledged, has the message
/// delivered again.
/// </summary>
internal sealed class ElasticSqsFetchedJob : IFetchedJob
{
    private readonly ElasticSqsStorage _storage;
    private readonly IDeliveryLease _lease;
    private bool _removedFromView;

    public ElasticSqsFetchedJob(ElasticSqsStorage storage, IDeliveryLease lease)
    {
        _storage = storage;
        _lease = lease;
    }

    public string JobId => _lease.JobId;

    public string Queue => _lease.Queue;

    /// <summary>Non-transactional acknowledge: clears the Dashboard's queue entry, then acknowledges.</summary>
    public void RemoveFromQueue()
    {
        if (_lease.IsAcknowledged)
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

    public void Requeue() => _lease.GiveBack();

    internal void Acknowledge() => _lease.Acknowledge();

    public void Dispose() => _lease.GiveBack();
}
