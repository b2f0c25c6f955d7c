using System.Globalization;
using Amazon.SQS.Model;

namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>
/// The SQS message through which sqsd runs a <c>cron.yaml</c> task: the leader sends it to the worker queue
/// at the fire time, and whichever daemon receives it POSTs an empty body to the task's URL. Any message
/// carrying <see cref="ScheduledTimeAttribute"/> is treated as such, so a task can also be triggered by hand.
/// </summary>
internal sealed record PeriodicTaskMessage(string TaskName, string Url, string ScheduledAt)
{
    public const string Body = "elasticbeanstalk scheduled job";
    public const string PathAttribute = "beanstalk.sqsd.path";
    public const string TaskNameAttribute = "beanstalk.sqsd.task_name";
    public const string ScheduledTimeAttribute = "beanstalk.sqsd.scheduled_time";

    /// <summary>Attribute names with this prefix are consumed by sqsd and never forwarded as headers.</summary>
    public const string ReservedAttributePrefix = "beanstalk.sqsd";

    // Ruby's Time#to_s for a UTC time, which is what sqsd writes into the attribute.
    private const string ScheduledTimeFormat = "yyyy-MM-dd HH:mm:ss 'UTC'";

    public static SendMessageRequest CreateSendRequest(string queueUrl, string taskName, string url, DateTimeOffset scheduledTime)
        => new()
        {
            QueueUrl = queueUrl,
            MessageBody = Body,
            MessageAttributes = new Dictionary<string, MessageAttributeValue>
            {
                [PathAttribute] = StringAttribute(url),
                [TaskNameAttribute] = StringAttribute(taskName),
                [ScheduledTimeAttribute] = StringAttribute(
                    scheduledTime.UtcDateTime.ToString(ScheduledTimeFormat, CultureInfo.InvariantCulture)),
            },
        };

    /// <summary>Reads the task from a received message; null for an ordinary message.</summary>
    public static PeriodicTaskMessage? TryRead(Message message)
    {
        var attributes = message.MessageAttributes;
        if (attributes is null || !attributes.TryGetValue(ScheduledTimeAttribute, out var scheduled))
        {
            return null;
        }

        return new PeriodicTaskMessage(
            attributes.GetValueOrDefault(TaskNameAttribute)?.StringValue ?? string.Empty,
            attributes.GetValueOrDefault(PathAttribute)?.StringValue ?? string.Empty,
            ToIso8601(scheduled.StringValue ?? string.Empty));
    }

    /// <summary>
    /// sqsd re-emits the attribute through Ruby's lenient <c>Time.parse(...).utc.iso8601</c>; a value this
    /// cannot read is passed on unchanged rather than failing the delivery.
    /// </summary>
    private static string ToIso8601(string scheduledTime)
    {
        var styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        if (DateTimeOffset.TryParseExact(scheduledTime, ScheduledTimeFormat, CultureInfo.InvariantCulture, styles, out var exact)
            || DateTimeOffset.TryParse(scheduledTime, CultureInfo.InvariantCulture, styles, out exact))
        {
            return SqsdHeaders.Iso8601(exact);
        }

        return scheduledTime;
    }

    private static MessageAttributeValue StringAttribute(string value) => new() { DataType = "String", StringValue = value };
}
