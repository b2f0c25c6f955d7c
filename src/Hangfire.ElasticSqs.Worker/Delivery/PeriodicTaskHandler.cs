using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Hangfire.ElasticSqs.Storage;
using Hangfire.ElasticSqs.Worker.Http;
using Hangfire.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.Worker.Delivery;

/// <summary>
/// A cron.yaml periodic task (empty body, <c>X-Aws-Sqsd-Taskname</c>): triggers the registered recurring job of
/// that name through Hangfire, so the run is an ordinary job with retries and Dashboard history. Only registered
/// recurring jobs can be triggered, only at one of their own cron occurrences close to now
/// (<see cref="PeriodicOccurrence"/>), and once per occurrence: a redelivery, or a second request naming the same
/// occurrence, triggers nothing. Header values are unsigned: they are sanitized before they are logged and never
/// repeated in an answer.
/// </summary>
internal sealed partial class PeriodicTaskHandler
{
    /// <summary>Longer than <see cref="ElasticSqsWorkerOptions.PeriodicTaskMaxDelay"/> can be: no accepted occurrence outlives its record.</summary>
    private static readonly TimeSpan RunRecordLifetime = TimeSpan.FromDays(5);

    private readonly ElasticSqsStorage _storage;
    private readonly IOptions<ElasticSqsWorkerOptions> _options;
    private readonly ILogger _logger;

    public PeriodicTaskHandler(ElasticSqsStorage storage, IOptions<ElasticSqsWorkerOptions> options, ILogger<PeriodicTaskHandler> logger)
    {
        _storage = storage;
        _options = options;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context, SqsdDelivery headers)
    {
        var taskName = headers.TaskName!;
        var loggedName = LogValue.Sanitize(taskName);
        if (headers.ScheduledAt is not { } scheduledAt)
        {
            LogRefused(_logger, loggedName, "X-Aws-Sqsd-Scheduled-At is missing or unreadable");
            await WorkerResponses.BadRequest(context.Response, "Periodic task refused: X-Aws-Sqsd-Scheduled-At is missing or unreadable (sqsd sends yyyy-MM-ddTHH:mm:ssZ).").ConfigureAwait(false);
            return;
        }

        try
        {
            using var connection = _storage.GetConnection();
            var recurringJobId = CronYamlTaskNames.MapTaskNamesToRecurringJobIds(connection.GetAllItemsFromSet(StorageKeys.RecurringJobs)).GetValueOrDefault(taskName);
            var job = recurringJobId is null ? null : Schedule(connection, recurringJobId);
            if (job is null)
            {
                LogUnknown(_logger, loggedName);
                await WorkerResponses.NotFound(context.Response, "No recurring job is registered for this periodic task.").ConfigureAwait(false);
                return;
            }

            if (PeriodicOccurrence.Refusal(job, scheduledAt, _storage.Time.GetUtcNow(), _options.Value.PeriodicTaskMaxDelay) is { } refusal)
            {
                LogRefused(_logger, loggedName, refusal);
                await WorkerResponses.BadRequest(context.Response, "Periodic task refused: " + refusal).ConfigureAwait(false);
                return;
            }

            // sqsd delivers at least once: the recurring job and its occurrence identify one run.
            var runKey = StorageKeys.PeriodicRun(job.Id, scheduledAt);
            using (connection.AcquireDistributedLock(runKey, TimeSpan.FromSeconds(10)))
            {
                if (connection.GetAllEntriesFromHash(runKey) is { Count: > 0 } earlier)
                {
                    LogDuplicate(_logger, loggedName, scheduledAt, earlier.GetValueOrDefault("jobId"));
                    await WorkerResponses.Ok(context.Response, "Duplicate periodic task; already triggered").ConfigureAwait(false);
                    return;
                }

                var jobId = new RecurringJobManager(_storage).TriggerJob(job.Id);
                using var transaction = connection.CreateWriteTransaction();
                transaction.SetRangeInHash(runKey, [new KeyValuePair<string, string>("jobId", jobId ?? string.Empty)]);
                if (transaction is JobStorageTransaction extended && _storage.HasFeature(JobStorageFeatures.ExtendedApi))
                {
                    extended.ExpireHash(runKey, RunRecordLifetime);
                }

                transaction.Commit();
                LogTriggered(_logger, loggedName, job.Id, jobId, scheduledAt);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(_logger, ex, loggedName);
            await WorkerResponses.ServiceUnavailable(context.Response, "Could not trigger the periodic task; sqsd will retry.").ConfigureAwait(false);
            return;
        }

        await WorkerResponses.Ok(context.Response, "Triggered").ConfigureAwait(false);
    }

    // Only the schedule is read, as text: nothing is deserialized or type-resolved for a request that is then refused.
    private static RecurringJobDto? Schedule(IStorageConnection connection, string recurringJobId)
        => connection.GetAllEntriesFromHash("recurring-job:" + recurringJobId) is { } hash && hash.TryGetValue("Cron", out var cron)
            ? new RecurringJobDto { Id = recurringJobId, Cron = cron, TimeZoneId = hash.GetValueOrDefault("TimeZoneId"), Queue = hash.GetValueOrDefault("Queue") }
            : null;

    [LoggerMessage(10, LogLevel.Warning, "Periodic task {TaskName} names no registered recurring job: answered 404")]
    private static partial void LogUnknown(ILogger logger, string? taskName);

    [LoggerMessage(11, LogLevel.Information, "Periodic task {TaskName} scheduled at {ScheduledAt} was already triggered as job {JobId}: not triggered again")]
    private static partial void LogDuplicate(ILogger logger, string? taskName, DateTimeOffset scheduledAt, string? jobId);

    [LoggerMessage(12, LogLevel.Information, "Periodic task {TaskName} triggered recurring job {RecurringJobId} as job {JobId} (scheduled at {ScheduledAt})")]
    private static partial void LogTriggered(ILogger logger, string? taskName, string recurringJobId, string? jobId, DateTimeOffset scheduledAt);

    [LoggerMessage(13, LogLevel.Error, "Periodic task {TaskName} could not be triggered")]
    private static partial void LogFailed(ILogger logger, Exception exception, string? taskName);

    [LoggerMessage(14, LogLevel.Warning, "Periodic task {TaskName} refused with 400: {Reason}")]
    private static partial void LogRefused(ILogger logger, string? taskName, string reason);
}
