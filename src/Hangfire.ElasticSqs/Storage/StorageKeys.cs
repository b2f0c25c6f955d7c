namespace Hangfire.ElasticSqs.Storage;

/// <summary>Keys this library writes into the inner storage, all under its own <c>elasticsqs:</c> prefix.</summary>
internal static class StorageKeys
{
    /// <summary>Sends recorded in the same commit as the job's state and cleared once SQS accepted them.</summary>
    public const string Outbox = "elasticsqs:outbox";

    /// <summary>
    /// Scheduled jobs, instead of Hangfire's <c>schedule</c> set: SQS delays deliver them, so no Hangfire
    /// <c>DelayedJobScheduler</c> may ever act on them.
    /// </summary>
    public const string Schedule = "elasticsqs:schedule";

    /// <summary>Names of the Hangfire queues that have had jobs, for the Dashboard's queue views.</summary>
    public const string Queues = "elasticsqs:queues";

    /// <summary>Hash holding this inner storage's identity (field <c>id</c>).</summary>
    public const string Store = "elasticsqs:store";

    /// <summary>Distributed lock held by the outbox sweeper while it re-sends.</summary>
    public const string OutboxSweeperLock = "elasticsqs:outbox:sweeper";

    /// <summary>Hangfire's own set of scheduled jobs, which this library redirects.</summary>
    public const string HangfireSchedule = "schedule";

    /// <summary>Hangfire's set of recurring job ids, scored by their next execution (what its scheduler polls).</summary>
    public const string RecurringJobs = "recurring-jobs";

    /// <summary>Jobs enqueued to a Hangfire queue and not yet acknowledged, for the Dashboard's queue views.</summary>
    public static string Queue(string queue) => "elasticsqs:queue:" + queue;

    /// <summary>
    /// The local id of a job imported from another store. The store id is length-prefixed, so no pair of (store, job id)
    /// containing ':' can name another pair's key.
    /// </summary>
    public static string Import(string store, string jobId)
        => $"elasticsqs:import:{store.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)}:{store}:{jobId}";

    /// <summary>The record of one periodic-task occurrence already triggered (recurring job id length-prefixed, as for <see cref="Import"/>).</summary>
    public static string PeriodicRun(string recurringJobId, DateTimeOffset occurrence)
        => $"elasticsqs:periodic:{recurringJobId.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)}:{recurringJobId}:{occurrence.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}
