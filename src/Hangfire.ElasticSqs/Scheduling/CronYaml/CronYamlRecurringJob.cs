using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>The parts of a Hangfire recurring job that <c>cron.yaml</c> generation needs.</summary>
/// <param name="Id">The recurring job id.</param>
/// <param name="Cron">The schedule as registered (Cronos syntax).</param>
/// <param name="TimeZoneId">The time zone id Hangfire evaluates the schedule in; null or empty means UTC, as in Hangfire.</param>
/// <param name="Queue">The queue the job is enqueued to; not part of <c>cron.yaml</c>, kept for callers that log it.</param>
internal sealed record CronYamlRecurringJob(string Id, string Cron, string? TimeZoneId = null, string? Queue = null)
{
    /// <summary>Takes the fields from Hangfire's storage view of a recurring job.</summary>
    /// <param name="recurringJob">A job from <c>connection.GetRecurringJobs()</c>.</param>
    /// <returns>The job's id, schedule, time zone and queue.</returns>
    public static CronYamlRecurringJob From(RecurringJobDto recurringJob)
    {
        ArgumentNullException.ThrowIfNull(recurringJob);
        return new CronYamlRecurringJob(recurringJob.Id, recurringJob.Cron, recurringJob.TimeZoneId, recurringJob.Queue);
    }
}
