namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>
/// Header names sqsd sends, as they appear on the wire (em-http title-cases them). The worker endpoint
/// reads the same names from its own internal copy, so that production code never depends on this
/// development package; the worker tests that drive the endpoint through this daemon catch any drift.
/// </summary>
internal static class SqsdHeaderNames
{
    /// <summary>SQS MessageId.</summary>
    public const string MessageId = "X-Aws-Sqsd-Msgid";

    /// <summary>SQS ApproximateReceiveCount, decimal.</summary>
    public const string ReceiveCount = "X-Aws-Sqsd-Receive-Count";

    /// <summary>ApproximateFirstReceiveTimestamp, <c>yyyy-MM-ddTHH:mm:ssZ</c>.</summary>
    public const string FirstReceivedAt = "X-Aws-Sqsd-First-Received-At";

    /// <summary>SentTimestamp, <c>yyyy-MM-ddTHH:mm:ssZ</c>.</summary>
    public const string SentAt = "X-Aws-Sqsd-Sent-At";

    /// <summary>Queue name (last segment of the queue URL).</summary>
    public const string Queue = "X-Aws-Sqsd-Queue";

    /// <summary>The periodic task's url, or the configured HttpPath (empty in sqsd 2.0).</summary>
    public const string Path = "X-Aws-Sqsd-Path";

    /// <summary>SQS SenderId (an IAM principal id).</summary>
    public const string SenderId = "X-Aws-Sqsd-Sender-Id";

    /// <summary>Periodic tasks only: the cron.yaml entry's name.</summary>
    public const string TaskName = "X-Aws-Sqsd-Taskname";

    /// <summary>Periodic tasks only: the scheduled time, <c>yyyy-MM-ddTHH:mm:ssZ</c>.</summary>
    public const string ScheduledAt = "X-Aws-Sqsd-Scheduled-At";
}
