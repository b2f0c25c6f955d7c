namespace Hangfire.ElasticSqs.Pipeline;

/// <summary>The host's timings the pipeline decides with.</summary>
/// <param name="DueTolerance">A delayed message at most this early runs now (SQS delays are whole seconds).</param>
/// <param name="ServerTimeout">A server whose heartbeat is older is dead, and a job it left Processing runs again.</param>
internal sealed record DeliverySettings(TimeSpan DueTolerance, TimeSpan ServerTimeout)
{
    /// <summary>
    /// A pushing host holds a delivery at most this long (waiting for a worker, then running); a job still running then
    /// goes on under a lease. Null: no lease, the delivery is held until the job's outcome is recorded.
    /// </summary>
    public TimeSpan? LeaseAfter { get; init; }

    /// <summary>Hangfire's own defaults (<c>BackgroundJobServerOptions.ServerTimeout</c> is 5 minutes).</summary>
    public static DeliverySettings Default { get; } = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
}
