using System.Diagnostics;
using Hangfire.ElasticSqs.Pipeline;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Storage;

/// <summary>
/// A delivered job held by a Hangfire worker, whichever host delivered it. Acknowledging it (after the final state is
/// committed) tells the host the job is done with; giving it back, or disposing it unacknowledged, has the message
/// delivered again.
/// </summary>
/// <remarks>
/// Created on the worker's own thread (in <c>FetchNextJob</c>), so the consumer span it starts is the current one while
/// the worker performs the job: the job's own spans (HTTP calls, database queries) nest under it.
/// </remarks>
internal sealed class ElasticSqsFetchedJob : IFetchedJob
{
    private readonly ElasticSqsStorage _storage;
    private readonly IDeliveryLease _lease;
    private readonly long _takenAt = Stopwatch.GetTimestamp();
    private readonly Activity? _activity;
    private bool _removedFromView;
    private int _ended;

    public ElasticSqsFetchedJob(ElasticSqsStorage storage, IDeliveryLease lease)
    {
        _storage = storage;
        _lease = lease;
        storage.Telemetry.HandOffWaited(lease.Host, Stopwatch.GetElapsedTime(lease.ReadyAt, _takenAt));
        _activity = storage.Telemetry.StartProcess(lease.Host, lease.TraceParent, lease.JobId, lease.Queue);
    }

    public string JobId => _lease.JobId;

    public string Queue => _lease.Queue;

    /// <summary>Non-transactional acknowledge: clears the Dashboard's queue entry, then acknowledges.</summary>
    public void RemoveFromQueue()
    {
        if (_lease.IsAcknowledged)
        {
            End(DeliveryStatus.Completed);
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

    public void Requeue()
    {
        _lease.GiveBack();
        End(DeliveryStatus.Unavailable);
    }

    internal void Acknowledge()
    {
        _lease.Acknowledge();
        End(DeliveryStatus.Completed);
    }

    public void Dispose()
    {
        _lease.GiveBack();
        End(_lease.IsAcknowledged ? DeliveryStatus.Completed : DeliveryStatus.Unavailable);
    }

    private void End(DeliveryStatus outcome)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        _storage.Telemetry.JobHeld(_lease.Host, outcome, Stopwatch.GetElapsedTime(_takenAt));
        if (_activity is not null)
        {
            _activity.SetTag("hangfire.elasticsqs.outcome", outcome == DeliveryStatus.Completed ? "completed" : "given_back");
            _activity.Stop();
        }
    }
}
