namespace Hangfire.ElasticSqs.Hosts.Polling;

/// <summary>One queue of a <see cref="SqsPoller"/>: its receives in flight, its received messages, its errors.</summary>
/// <remarks>Every member is guarded by the poller's lock.</remarks>
internal sealed class PollerLane
{
    private static readonly long MinLinger = System.Diagnostics.Stopwatch.Frequency / 500;
    private static readonly long MaxLinger = System.Diagnostics.Stopwatch.Frequency / 100;
    private long _roundTrip;

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

    /// <summary>
    /// Since when (a <see cref="System.Diagnostics.Stopwatch"/> timestamp) workers have waited for less than a full
    /// receive; zero when none do.
    /// </summary>
    public long PartialSince { get; set; }

    /// <summary>
    /// How long demand for less than a full receive waits for more workers to join it, in Stopwatch ticks: an eighth
    /// of the recent receive round trip, so it costs a worker a small fraction of the wait it has anyway; and nothing
    /// under 2 ms, where a timer (whole milliseconds, often one late) would cost the workers more than it saves in calls.
    /// </summary>
    public long Linger { get; private set; }

    public int Failures { get; set; }

    /// <summary>Folds one receive round trip (Stopwatch ticks, a receive that did not wait for messages) into <see cref="Linger"/>.</summary>
    public void RecordRoundTrip(long ticks)
    {
        _roundTrip = _roundTrip == 0 ? ticks : ((_roundTrip * 7) + ticks) / 8;
        var linger = _roundTrip / 8;
        Linger = linger < MinLinger ? 0 : Math.Min(linger, MaxLinger);
    }

    /// <summary>After an SQS error, no receive before this <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
    public long RetryAt { get; set; }
}
