namespace Hangfire.ElasticSqs;

/// <summary>What an enqueue does when the job was stored but its SQS message could not be sent.</summary>
public enum SendFailureMode
{
    /// <summary>
    /// The enqueue succeeds: the job is durably pending in the inner storage's outbox, shows as Enqueued on the
    /// Dashboard, and the outbox sweeper sends it once SQS is reachable. Nothing is lost, given a durable inner storage.
    /// </summary>
    KeepPending = 0,

    /// <summary>
    /// The enqueue throws (a <see cref="Hangfire.BackgroundJobClientException"/> wrapping
    /// <see cref="ElasticSqsSendException"/>) and the job is moved to the Failed state, so it never runs behind the
    /// caller's back. Use when the caller has its own retry.
    /// </summary>
    Throw = 1,
}
