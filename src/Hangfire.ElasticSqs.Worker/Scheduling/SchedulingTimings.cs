namespace Hangfire.ElasticSqs.Worker.Scheduling;

/// <summary>Timings of the scheduling services; replaced in tests to avoid waiting.</summary>
internal sealed class SchedulingTimings
{
    /// <summary>
    /// How long after the application started the cron.yaml drift check runs, so that recurring jobs registered
    /// right after start-up are seen too.
    /// </summary>
    public TimeSpan DriftCheckDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The polling delay of Hangfire's recurring job scheduler in <see cref="RecurringJobSchedulerMode.Hangfire"/>
    /// mode; the server's <c>SchedulePollingInterval</c> when null, as in Hangfire's own server.
    /// </summary>
    public TimeSpan? RecurringJobPollingDelay { get; init; }
}
