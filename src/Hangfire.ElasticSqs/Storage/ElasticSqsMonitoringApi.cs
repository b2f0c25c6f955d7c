using Hangfire.Storage;
using Hangfire.Storage.Monitoring;

namespace Hangfire.ElasticSqs.Storage;

/// <summary>
/// Forwards every Dashboard query to the inner storage, and serves the queue views (Enqueued page, queue metrics)
/// from this library's own per-queue sets: the jobs are in SQS, and the Dashboard must never receive messages to
/// show them.
/// </summary>
internal sealed class ElasticSqsMonitoringApi : JobStorageMonitor
{
    private readonly ElasticSqsStorage _storage;
    private readonly IMonitoringApi _inner;

    public ElasticSqsMonitoringApi(ElasticSqsStorage storage, IMonitoringApi inner)
    {
        _storage = storage;
        _inner = inner;
    }

    public override IList<QueueWithTopEnqueuedJobsDto> Queues()
    {
        using var connection = (JobStorageConnection)_storage.InnerStorage.GetReadOnlyConnection();
        var names = connection.GetAllItemsFromSet(StorageKeys.Queues)
            .Concat(_storage.Options.Queues.Keys)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        return names.Select(name => new QueueWithTopEnqueuedJobsDto
        {
            Name = name,
            Length = connection.GetSetCount(StorageKeys.Queue(name)),
            Fetched = null,
            FirstJobs = EnqueuedJobs(connection, name, 0, 5),
        }).ToList();
    }

    public override JobList<EnqueuedJobDto> EnqueuedJobs(string queue, int from, int perPage)
    {
        using var connection = (JobStorageConnection)_storage.InnerStorage.GetReadOnlyConnection();
        return EnqueuedJobs(connection, queue, from, perPage);
    }

    public override long EnqueuedCount(string queue)
    {
        using var connection = (JobStorageConnection)_storage.InnerStorage.GetReadOnlyConnection();
        return connection.GetSetCount(StorageKeys.Queue(queue));
    }

    public override StatisticsDto GetStatistics()
    {
        var statistics = _inner.GetStatistics();
        using var connection = _storage.InnerStorage.GetReadOnlyConnection();
        statistics.Queues = connection.GetAllItemsFromSet(StorageKeys.Queues).Union(_storage.Options.Queues.Keys, StringComparer.Ordinal).Count();
        return statistics;
    }

    public override IList<ServerDto> Servers() => _inner.Servers();

    public override JobDetailsDto JobDetails(string jobId) => _inner.JobDetails(jobId);

    public override JobList<FetchedJobDto> FetchedJobs(string queue, int from, int perPage) => _inner.FetchedJobs(queue, from, perPage);

    public override JobList<ProcessingJobDto> ProcessingJobs(int from, int count) => _inner.ProcessingJobs(from, count);

    public override JobList<ScheduledJobDto> ScheduledJobs(int from, int count) => _inner.ScheduledJobs(from, count);

    public override JobList<SucceededJobDto> SucceededJobs(int from, int count) => _inner.SucceededJobs(from, count);

    public override JobList<FailedJobDto> FailedJobs(int from, int count) => _inner.FailedJobs(from, count);

    public override JobList<DeletedJobDto> DeletedJobs(int from, int count) => _inner.DeletedJobs(from, count);

    public override JobList<AwaitingJobDto> AwaitingJobs(int from, int count)
        => _inner is JobStorageMonitor monitor ? monitor.AwaitingJobs(from, count) : base.AwaitingJobs(from, count);

    public override long ScheduledCount() => _inner.ScheduledCount();

    public override long FetchedCount(string queue) => _inner.FetchedCount(queue);

    public override long FailedCount() => _inner.FailedCount();

    public override long ProcessingCount() => _inner.ProcessingCount();

    public override long SucceededListCount() => _inner.SucceededListCount();

    public override long DeletedListCount() => _inner.DeletedListCount();

    public override long AwaitingCount()
        => _inner is JobStorageMonitor monitor ? monitor.AwaitingCount() : base.AwaitingCount();

    public override IDictionary<DateTime, long> SucceededByDatesCount() => _inner.SucceededByDatesCount();

    public override IDictionary<DateTime, long> FailedByDatesCount() => _inner.FailedByDatesCount();

    public override IDictionary<DateTime, long> DeletedByDatesCount()
        => _inner is JobStorageMonitor monitor ? monitor.DeletedByDatesCount() : base.DeletedByDatesCount();

    public override IDictionary<DateTime, long> HourlySucceededJobs() => _inner.HourlySucceededJobs();

    public override IDictionary<DateTime, long> HourlyFailedJobs() => _inner.HourlyFailedJobs();

    public override IDictionary<DateTime, long> HourlyDeletedJobs()
        => _inner is JobStorageMonitor monitor ? monitor.HourlyDeletedJobs() : base.HourlyDeletedJobs();

    private static JobList<EnqueuedJobDto> EnqueuedJobs(JobStorageConnection connection, string queue, int from, int perPage)
    {
        var ids = connection.GetRangeFromSet(StorageKeys.Queue(queue), from, from + perPage - 1);
        var jobs = new List<KeyValuePair<string, EnqueuedJobDto>>(ids.Count);
        foreach (var id in ids)
        {
            var data = connection.GetJobData(id);
            var state = connection.GetStateData(id);
            var inEnqueuedState = string.Equals(state?.Name, Hangfire.States.EnqueuedState.StateName, StringComparison.OrdinalIgnoreCase);
            jobs.Add(new(id, new EnqueuedJobDto
            {
                Job = data?.Job,
                LoadException = data?.LoadException,
                InvocationData = data?.InvocationData,
                State = state?.Name,
                InEnqueuedState = inEnqueuedState,
                StateData = state?.Data,
                EnqueuedAt = inEnqueuedState && state!.Data.TryGetValue("EnqueuedAt", out var at) ? Hangfire.Common.JobHelper.DeserializeNullableDateTime(at) : null,
            }));
        }

        return new JobList<EnqueuedJobDto>(jobs);
    }
}
