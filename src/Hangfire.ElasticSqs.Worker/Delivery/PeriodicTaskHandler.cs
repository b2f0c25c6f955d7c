using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Hangfire.ElasticSqs.Worker.Http;
using Hangfire.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Worker.Delivery;

/// <summary>
/// A cron.yaml periodic task (empty body, <c>X-Aws-Sqsd-Taskname</c>): triggers the registered recurring job of
/// that name through Hangfire, so the run is an ordinary job with retries and Dashboard history. Only registered
/// recurring jobs can be triggered; a redelivery for the same task and scheduled time triggers nothing.
/// </summary>
internal sealed partial class PeriodicTaskHandler
{
    private readonly ElasticSqsStorage _storage;
    private readonly ILogger _logger;

    public PeriodicTaskHandler(ElasticSqsStorage storage, ILogger<PeriodicTaskHandler> logger)
    {
        _storage = storage;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context, SqsdDelivery headers)
    {
        var taskName = headers.TaskName!;
        string? recurringJobId;
        try
        {
            using var connection = _storage.GetConnection();
            var ids = connection.GetRecurringJobs().Select(job => job.Id);
            recurringJobId = CronYamlTaskNames.MapTaskNamesToRecurringJobIds(ids).GetValueOrDefault(taskName);
            if (recurringJobId is null)
            {
                LogUnknown(_logger, taskName);
                await WorkerResponses.NotFound(context.Response, $"No recurring job is registered for periodic task '{taskName}'.").ConfigureAwait(false);
                return;
            }

            // sqsd delivers at least once: the task name and its scheduled time identify one run.
            var runKey = $"elasticsqs:periodic:{taskName}:{headers.ScheduledAt?.ToUnixTimeSeconds() ?? 0}";
            using (connection.AcquireDistributedLock(runKey, TimeSpan.FromSeconds(10)))
            {
                if (connection.GetAllEntriesFromHash(runKey) is { Count: > 0 } earlier)
                {
                    LogDuplicate(_logger, taskName, headers.ScheduledAt, earlier.GetValueOrDefault("jobId"));
                    await WorkerResponses.Ok(context.Response, "Duplicate periodic task; already triggered").ConfigureAwait(false);
                    return;
                }

                var jobId = new RecurringJobManager(_storage).TriggerJob(recurringJobId);
                using var transaction = connection.CreateWriteTransaction();
                transaction.SetRangeInHash(runKey, [new KeyValuePair<string, string>("jobId", jobId ?? string.Empty)]);
                if (transaction is JobStorageTransaction extended && _storage.HasFeature(JobStorageFeatures.ExtendedApi))
                {
                    extended.ExpireHash(runKey, TimeSpan.FromDays(4)); // sqsd's default retention period.
                }

                transaction.Commit();
                LogTriggered(_logger, taskName, recurringJobId, jobId, headers.ScheduledAt);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(_logger, ex, taskName);
            await WorkerResponses.ServiceUnavailable(context.Response, "Could not trigger the periodic task; sqsd will retry.").ConfigureAwait(false);
            return;
        }

        await WorkerResponses.Ok(context.Response, "Triggered").ConfigureAwait(false);
    }

    [LoggerMessage(10, LogLevel.Warning, "Periodic task {TaskName} names no registered recurring job: answered 404")]
    private static partial void LogUnknown(ILogger logger, string taskName);

    [LoggerMessage(11, LogLevel.Information, "Periodic task {TaskName} scheduled at {ScheduledAt} was already triggered as job {JobId}: not triggered again")]
    private static partial void LogDuplicate(ILogger logger, string taskName, DateTimeOffset? scheduledAt, string? jobId);

    [LoggerMessage(12, LogLevel.Information, "Periodic task {TaskName} triggered recurring job {RecurringJobId} as job {JobId} (scheduled at {ScheduledAt})")]
    private static partial void LogTriggered(ILogger logger, string taskName, string recurringJobId, string? jobId, DateTimeOffset? scheduledAt);

    [LoggerMessage(13, LogLevel.Error, "Periodic task {TaskName} could not be triggered")]
    private static partial void LogFailed(ILogger logger, Exception exception, string taskName);
}
