namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// The outcome of <see cref="SqsdCronExpression.Translate"/>: either the five-field UTC expression sqsd reads
/// exactly as Hangfire reads the original schedule, or the reason there is none.
/// </summary>
internal sealed class SqsdCronTranslation
{
    private SqsdCronTranslation(string recurringJobId, string cron, string timeZoneId, string? utcExpression, string? refusalReason, bool neverFires)
    {
        RecurringJobId = recurringJobId;
        Cron = cron;
        TimeZoneId = timeZoneId;
        UtcExpression = utcExpression;
        RefusalReason = refusalReason;
        NeverFires = neverFires;
    }

    /// <summary>The Hangfire recurring job id the schedule belongs to.</summary>
    public string RecurringJobId { get; }

    /// <summary>The schedule as registered in Hangfire.</summary>
    public string Cron { get; }

    /// <summary>The id of the time zone Hangfire evaluates <see cref="Cron"/> in.</summary>
    public string TimeZoneId { get; }

    /// <summary>The five-field UTC expression for <c>cron.yaml</c>; null when refused.</summary>
    public string? UtcExpression { get; }

    /// <summary>Why no exact expression exists; null when accepted.</summary>
    public string? RefusalReason { get; }

    /// <summary>
    /// True when the schedule never fires (e.g. <c>Cron.Never()</c>, February 31st). Such a job needs no periodic
    /// task: <see cref="CronYamlGenerator"/> leaves it out of <c>cron.yaml</c> instead of reporting an error.
    /// </summary>
    public bool NeverFires { get; }

    /// <summary>True when <see cref="UtcExpression"/> is set.</summary>
    public bool IsAccepted => UtcExpression is not null;

    /// <summary>
    /// A sentence naming the recurring job, the expression, the time zone and the reason, for error messages;
    /// null when accepted.
    /// </summary>
    public string? Error => IsAccepted
        ? null
        : $"Recurring job '{RecurringJobId}': schedule '{Cron}' (time zone '{TimeZoneId}') cannot be run by sqsd: {RefusalReason}";

    internal static SqsdCronTranslation Accepted(string recurringJobId, string cron, string timeZoneId, string utcExpression) =>
        new(recurringJobId, cron, timeZoneId, utcExpression, null, neverFires: false);

    internal static SqsdCronTranslation Refused(string recurringJobId, string cron, string timeZoneId, string reason, bool neverFires = false) =>
        new(recurringJobId, cron, timeZoneId, null, reason, neverFires);
}
