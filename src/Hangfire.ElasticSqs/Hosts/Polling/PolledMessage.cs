using Amazon.SQS.Model;

namespace Hangfire.ElasticSqs.Hosts.Polling;

/// <summary>
/// A message this process received and has not yet deleted or given back. Its visibility clock runs from the
/// receive, so <see cref="VisibilityKeeper"/> extends it for as long as the message is held.
/// </summary>
internal sealed class PolledMessage
{
    public PolledMessage(PolledQueue queue, Message message, long receivedAt)
    {
        Queue = queue;
        Message = message;
        ReceivedAt = receivedAt;
        VisibleAgainAt = receivedAt + (long)(queue.VisibilityTimeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
    }

    public PolledQueue Queue { get; }

    public Message Message { get; }

    public string MessageId => Message.MessageId;

    public string ReceiptHandle => Message.ReceiptHandle;

    /// <summary><see cref="System.Diagnostics.Stopwatch"/> timestamp of the receive.</summary>
    public long ReceivedAt { get; }

    /// <summary>When SQS would make the message visible again unless extended (a Stopwatch timestamp).</summary>
    public long VisibleAgainAt { get; set; }

    /// <summary>The poller whose worker took the message, told when the worker is done with it.</summary>
    public SqsPoller? Poller { get; set; }

    /// <summary>When a worker took it (a Stopwatch timestamp).</summary>
    public long TakenAt { get; set; }

    /// <summary>The worker's hold on the message's job, once one runs it.</summary>
    public PolledJobLease? Lease { get; set; }

    /// <summary>Set once the message reached SQS's 12-hour visibility limit: it is extended no further.</summary>
    public bool AtVisibilityLimit { get; set; }

    public int ReceiveCount
        => Message.Attributes is { } attributes
            && attributes.TryGetValue("ApproximateReceiveCount", out var value)
            && int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count)
                ? count
                : 1;

    public string? Attribute(string name)
        => Message.MessageAttributes is { } attributes && attributes.TryGetValue(name, out var value) ? value.StringValue : null;
}
