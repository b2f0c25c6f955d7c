using System.Globalization;
using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Worker.Delivery;

/// <summary>
/// Decides whether a periodic task's <c>X-Aws-Sqsd-Scheduled-At</c> names a run its recurring job really has: one
/// of the occurrences of the job's own schedule (as cron.yaml has it, translated to UTC), no more than a minute in
/// the future and no older than the allowed delay. A periodic task is unsigned, so this is what stops anyone who can
/// reach the endpoint or send to the queue from triggering a job at will: at most one run per genuine occurrence,
/// each recognised again on redelivery.
/// </summary>
internal static class PeriodicOccurrence
{
    /// <summary>Clock difference allowed between the sqsd leader that scheduled the task and this machine.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    /// <summary>Null when <paramref name="scheduledAt"/> is an occurrence that may run now; otherwise why not.</summary>
    public static string? Refusal(RecurringJobDto job, DateTimeOffset scheduledAt, DateTimeOffset now, TimeSpan maxDelay)
    {
        var at = Format(scheduledAt);
        if (scheduledAt > now + ClockSkew)
        {
            return $"Scheduled-At {at} is in the future (this machine's clock reads {Format(now)}).";
        }

        if (now - scheduledAt > maxDelay)
        {
            return $"Scheduled-At {at} is older than PeriodicTaskMaxDelay ({maxDelay}); the occurrence is not triggered this late.";
        }

        var translation = CronYamlGenerator.Translate(CronYamlRecurringJob.From(job), new DefaultTimeZoneResolver());
        if (!translation.IsAccepted)
        {
            return "the recurring job's schedule has no cron.yaml form, so no periodic task can be one of its runs: " + translation.RefusalReason;
        }

        var expression = Cronos.CronExpression.Parse(translation.UtcExpression!);
        var occurrence = expression.GetNextOccurrence(scheduledAt.UtcDateTime, inclusive: true);
        return occurrence == scheduledAt.UtcDateTime
            ? null
            : $"Scheduled-At {at} is not an occurrence of the recurring job's schedule ('{translation.UtcExpression}' UTC).";
    }

    private static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
