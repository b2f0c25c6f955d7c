using Hangfire.ElasticSqs.Delivery;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Storage;

/// <summary>
/// A job delivered by sqsd, held by a Hangfire worker. Acknowledging it (after the final state is committed) lets
/// the endpoint answer 200; giving it back, or disposing it unacknowledged, makes the endpoint answer 503 so that
/// SQS delivers the message again.
/// </summary>
/// <remarks>
/// The transactional acknowledge (<see cref="Acknowledge"/>, called by the transaction right after its commit) only
/// records the outcome. The endpoint is answered when the worker lets go of the job: Hangfire's Worker calls
/// <see cref="RemoveFromQueue"/> right after that commit, and always disposes the job. The answer's continuation runs
/// inline on that thread (no thread-pool hop), and so never inside the storage transaction or its locks.
/// </remarks>
internal sealed class ElasticSqsFetchedJob : IFetchedJob
{
    private readonly ElasticSqsStorage _storage;
    private readonly JobDelivery _delivery;
    private volatile bool _acknowledged;
    private bool _removedFromView;

    public ElasticSqsFetchedJob(ElasticSqsStorage storage, JobDelivery delivery)
    {
        _storage = storage;
        _delivery = delivery;
    }

    public string JobId => _delivery.JobId;

    public string Queue => _delivery.Queue;

    /// <summary>Acknowledges: after a transactional acknowledge, answers the endpoint; otherwise first clears the Dashboard's queue entry.</summary>
    public void RemoveFromQueue()
    {
        if (!_acknowledged && !_delivery.Completion.Task.IsCompleted)
        {
            if (!_removedFromView)
            {
                using var connection = _storage.InnerStorage.GetConnection();
                using var transaction = connection.CreateWriteTransaction();
                transaction.RemoveFromSet(StorageKeys.Queue(Queue), JobId);
                transaction.Commit();
                _removedFromView = true;
            }

            _acknowledged = true;
        }

        Complete();
    }

    /// <summary>Gives the job back, unless its outcome was already acknowledged (an acknowledge is final).</summary>
    public void Requeue() => Complete();

    /// <summary>The transactional acknowledge: the final state is committed. The endpoint is answered when the worker lets go of the job.</summary>
    internal void Acknowledge() => _acknowledged = true;

    public void Dispose() => Complete();

    private void Complete() => _delivery.Completion.TrySetResult(_acknowledged ? DeliveryOutcome.Acknowledged : DeliveryOutcome.Requeued);
}
