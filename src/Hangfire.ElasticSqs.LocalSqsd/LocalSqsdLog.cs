using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>
/// The daemon's log lines. The delivery lines keep sqsd's own wording (<c>message: sent to</c>,
/// <c>http-err:</c>, <c>socket-err:</c>, <c>expired-msg:</c>) so that people who know the real
/// <c>/var/log/aws-sqsd/default.log</c> recognise them.
/// </summary>
internal static partial class LocalSqsdLog
{
    [LoggerMessage(1, LogLevel.Information, "message: sent to {Url} ({MessageId})")]
    public static partial void Sent(this ILogger logger, string url, string? messageId);

    [LoggerMessage(2, LogLevel.Warning, "http-err: {MessageId} ({ReceiveCount}) {StatusCode}")]
    public static partial void HttpError(this ILogger logger, string? messageId, string? receiveCount, int statusCode);

    [LoggerMessage(3, LogLevel.Warning, "socket-err: {MessageId} ({ReceiveCount}) {Error}")]
    public static partial void SocketError(this ILogger logger, string? messageId, string? receiveCount, string error);

    [LoggerMessage(4, LogLevel.Information, "expired-msg: {MessageId} first received at {FirstReceivedAt}, older than the retention period of {RetentionPeriod} s; deleted without delivery")]
    public static partial void Expired(this ILogger logger, string? messageId, DateTimeOffset firstReceivedAt, int retentionPeriod);

    [LoggerMessage(5, LogLevel.Information, "connection closed by server without a response for {MessageId}; re-posting")]
    public static partial void RePosting(this ILogger logger, string? messageId);

    [LoggerMessage(6, LogLevel.Debug, "attribute {AttributeName} of {MessageId} not sent: {Reason}")]
    public static partial void AttributeSkipped(this ILogger logger, string? messageId, string attributeName, string reason);

    [LoggerMessage(7, LogLevel.Warning, "receive from {QueueUrl} failed; retrying in {RetryDelay}")]
    public static partial void ReceiveFailed(this ILogger logger, Exception exception, string queueUrl, TimeSpan retryDelay);

    [LoggerMessage(8, LogLevel.Warning, "delete of {Count} message(s) failed; they will be delivered again")]
    public static partial void DeleteFailed(this ILogger logger, Exception? exception, int count);

    [LoggerMessage(9, LogLevel.Warning, "setting the error visibility timeout of {MessageId} failed")]
    public static partial void VisibilityChangeFailed(this ILogger logger, Exception exception, string? messageId);

    [LoggerMessage(10, LogLevel.Information, "Successfully loaded {Count} scheduled tasks from {CronYamlPath}.")]
    public static partial void CronYamlLoaded(this ILogger logger, int count, string cronYamlPath);

    [LoggerMessage(11, LogLevel.Information, "periodic-task: queued {TaskName} scheduled at {ScheduledTime}")]
    public static partial void PeriodicTaskQueued(this ILogger logger, string taskName, DateTimeOffset scheduledTime);

    [LoggerMessage(12, LogLevel.Error, "periodic-task: queuing {TaskName} scheduled at {ScheduledTime} failed")]
    public static partial void PeriodicTaskFailed(this ILogger logger, Exception exception, string taskName, DateTimeOffset scheduledTime);

    [LoggerMessage(13, LogLevel.Information, "local sqsd polling {QueueUrl}, posting to {BaseAddress} with up to {HttpConnections} connections")]
    public static partial void Started(this ILogger logger, string queueUrl, Uri baseAddress, int httpConnections);

    [LoggerMessage(14, LogLevel.Warning, "local sqsd stopped with {Count} deliveries still in flight after the drain timeout; they will be delivered again")]
    public static partial void DrainTimedOut(this ILogger logger, int count);

    [LoggerMessage(15, LogLevel.Warning, "cron.yaml schedule '{Schedule}' of task {TaskName} has a sixth field, which sqsd ignores: it runs as '{UsedSchedule}'")]
    public static partial void SixthFieldIgnored(this ILogger logger, string taskName, string schedule, string usedSchedule);
}
