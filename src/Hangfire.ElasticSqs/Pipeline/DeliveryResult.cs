namespace Hangfire.ElasticSqs.Pipeline;

/// <summary>What became of one delivered job message. Each host maps it onto its own protocol.</summary>
internal enum DeliveryStatus
{
    /// <summary>The job ran here and its outcome (succeeded, retry scheduled, failed, deleted) is recorded.</summary>
    Completed,

    /// <summary>
    /// Still running when the host's hold ended: the job goes on under a lease (its Processing state on this live
    /// server is already recorded), so the message is done with. If this process dies, lease recovery sends it again.
    /// </summary>
    Leased,

    /// <summary>Not due yet: sent again with the remaining delay.</summary>
    Redelayed,

    /// <summary>A duplicate of a finished job, a stale delayed message, or a job deleted since: not run.</summary>
    Skipped,

    /// <summary>The same job is processing on a live server: deliver it again later.</summary>
    AlreadyProcessing,

    /// <summary>Shutting down, no worker free in time, or storage/SQS unreachable: deliver it again.</summary>
    Unavailable,

    /// <summary>Signed, but not a job message this library can read: left for the dead-letter queue.</summary>
    Malformed,

    /// <summary>A verified job that cannot run here (its type or method cannot be loaded): left for the dead-letter queue.</summary>
    Unrunnable,

    /// <summary>The signature is missing, unknown or wrong (or, for sqsd, the request is not from loopback).</summary>
    Forbidden,
}

/// <summary>A delivery's status with a short reason for the log (never a secret or a job argument).</summary>
internal readonly record struct DeliveryResult(DeliveryStatus Status, string Reason, string? JobId = null)
{
    /// <summary>The message is done with: the host deletes it (sqsd: 200).</summary>
    public bool IsFinished => Status is DeliveryStatus.Completed or DeliveryStatus.Leased or DeliveryStatus.Redelayed or DeliveryStatus.Skipped;

    /// <summary>The message can never succeed: the host leaves it to the queue's redrive policy, never deleting it.</summary>
    public bool IsPoison => Status is DeliveryStatus.Malformed or DeliveryStatus.Unrunnable or DeliveryStatus.Forbidden;
}
