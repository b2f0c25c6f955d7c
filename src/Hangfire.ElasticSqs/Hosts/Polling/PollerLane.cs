namespace Hangfire.ElasticSqs.Hosts.Polling;

/// <summary>One queue of a <see cref="SqsPoller"/>: its receives in flight, its received messages, its errors.</summary>
/// <remarks>Every member is guarded by the poller's lock.</remarks>
internal sealed class PollerLane
{
    public PollerLane(string hangfireQueue) => HangfireQueue = hangfireQueue;

    public string HangfireQueue { get; }

    /// <summary>Null until the queue's URL and visibility timeout are read.</summary>
    public PolledQueue? Queue { get; set; }

    public int ReceivesInFlight { get; set; }

    /// <summary>
    /// True while the last receive returned messages, and before the first: a lower-priority queue is not received
    /// from while a higher one may have a backlog.
    /// </summary>
    public bool Backlogged { get; set; } = true;

    public Queue<PolledMessage> Received { get; } = new();

    public int Failures { get; set; }

    /// <summary>After an SQS error, no receive before this <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
    public long RetryAt { get; set; }
}
