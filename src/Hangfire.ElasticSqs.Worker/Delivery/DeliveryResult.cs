using Microsoft.AspNetCore.Http;

namespace Hangfire.ElasticSqs.Worker.Delivery;

/// <summary>What became of one sqsd delivery, and the status sqsd gets for it (ARCHITECTURE §3.6).</summary>
internal enum DeliveryStatus
{
    /// <summary>The job ran here and its outcome (succeeded, retry scheduled, failed, deleted) is recorded.</summary>
    Completed,

    /// <summary>Not due yet: sent again with the remaining delay.</summary>
    Redelayed,

    /// <summary>A duplicate of a finished job, a stale delayed message, or a job deleted since: not run.</summary>
    Skipped,

    /// <summary>The same job is processing on a live server: sqsd retries later.</summary>
    AlreadyProcessing,

    /// <summary>Shutting down, no worker free in time, or storage/SQS unreachable.</summary>
    Unavailable,

    /// <summary>Signed, but not a job message this library can read.</summary>
    Malformed,

    /// <summary>A verified job that cannot run here (its type or method cannot be loaded): left for the dead-letter queue.</summary>
    Unrunnable,

    /// <summary>Not from loopback, or the signature is missing, unknown or wrong.</summary>
    Forbidden,
}

/// <summary>A delivery's status with a short reason for the log and the response body (never a secret or an argument).</summary>
internal readonly record struct DeliveryResult(DeliveryStatus Status, string Reason, string? JobId = null)
{
    public int HttpStatus => Status switch
    {
        DeliveryStatus.Completed or DeliveryStatus.Redelayed or DeliveryStatus.Skipped => StatusCodes.Status200OK,
        DeliveryStatus.AlreadyProcessing => StatusCodes.Status409Conflict,
        DeliveryStatus.Malformed => StatusCodes.Status400BadRequest,
        DeliveryStatus.Forbidden => StatusCodes.Status403Forbidden,
        DeliveryStatus.Unrunnable => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status503ServiceUnavailable,
    };
}
