namespace Hangfire.ElasticSqs.Worker.Http;

/// <summary>
/// Header names sqsd sends, as they appear on the wire (em-http title-cases them). Always compare
/// them ignoring case: proxies and emulators may change the casing. The local sqsd keeps its own copy of the
/// names it sends, because this one is internal and the worker does not depend on that package.
/// </summary>
internal static class SqsdHeaderNames
{
    /// <summary>Common prefix of every sqsd header.</summary>
    public const string Prefix = "X-Aws-Sqsd-";

    /// <summary>Prefix of message-attribute headers; the attribute name follows, title-cased.</summary>
    public const string AttributePrefix = "X-Aws-Sqsd-Attr-";

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
