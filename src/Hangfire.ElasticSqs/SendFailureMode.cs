namespace Hangfire.ElasticSqs;

/// <summary>Whether an enqueue waits for SQS, and what it does when the job was stored but its message could not be sent.</summary>
public enum SendFailureMode
{
    /// <summary>
    /// The enqueue returns as soon as the job and its outbox record are committed; the message is sent right after,
    /// off the caller's thread (concurrent sends are batched; a producer faster than SQS waits once 1,000 sends are
    /// under way). If the send fails, the job stays durably pending in the outbox, shows as Enqueued on the Dashboard,
    /// and the outbox sweeper sends it once SQS is reachable. Nothing is lost, given a durable inner storage; disposing
    /// the storage, or the process exiting, waits up to 10 seconds for the sends under way.
    /// </summary>
    KeepPending = 0,

    /// <summary>
    /// The enqueue waits for SQS's answer. If the message could not be sent, it throws (a
    /// <see cref="Hangfire.BackgroundJobClientException"/> wrapping
    /// <see cref="ElasticSqsSendException"/>) and the job is moved to the Failed state, so it never runs behind the
    /// caller's back. Use when the caller has its own retry.
    /// </summary>
    Throw = 1,
}
