namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Translates a Hangfire recurring job's schedule (a Cronos expression in the job's time zone) into the
/// five-field UTC expression that sqsd's cron parser (parse-cron) reads as firing at exactly the same instants,
/// or refuses with the reason. Nothing is ever approximated.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The output is always rewritten into a canonical form every parse-cron version reads like Cronos:
/// numbers only (names such as <c>MON</c>/<c>JAN</c> become 1; older parse-cron mapped months to 0–11), Sunday as
/// 0 (not 7), reversed ranges (<c>22-2</c>) and <c>n/step</c> expanded, and a day field that allows every day
/// written as the literal <c>*</c>. These are exact conversions, not alterations.</item>
/// <item>Macros (<c>@daily</c>, <c>@hourly</c>, <c>@weekly</c>, <c>@monthly</c>, <c>@yearly</c>/<c>@annually</c>,
/// <c>@midnight</c>, <c>@every_minute</c>) are replaced by the five-field expression Cronos defines them as.
/// parse-cron knows only some of them, and only in lower case; <c>@every_second</c> is refused.</item>
/// <item>Refused: a seconds field (sqsd has minute resolution and silently ignores a sixth field); the Quartz
/// extensions <c>L</c>, <c>W</c>, <c>#</c>, <c>?</c>; a schedule restricting both day-of-month and day-of-week
/// (Cronos fires when both match, parse-cron 0.1.4 when either does, older parse-cron when both do);
/// a day-of-month above 28 in a month selection that includes a month without that day (parse-cron then
/// fires on the 1st of the next month instead of skipping it); a time zone whose offset is not fixed.</item>
/// <item>Time zones: a zone with one offset for all time (no daylight saving, no adjustment rules) is converted
/// by moving the hours and minutes, and the day fields when every fire time crosses midnight the same way and
/// the day restriction can move with it; otherwise the schedule is refused with the reason.</item>
/// <item>A schedule that never fires (<c>Cron.Never()</c>) is refused with <see cref="SqsdCronTranslation.NeverFires"/>
/// set: it needs no periodic task, and parse-cron would search for its next date forever.</item>
/// </list>
/// </remarks>
internal static class SqsdCronExpression
{
    private const string SecondsReason = "it has a seconds field; sqsd cron has minute resolution and silently ignores a 6th field.";

    /// <summary>Translates <paramref name="cron"/>, evaluated by Hangfire in <paramref name="timeZone"/>, into sqsd's UTC cron.</summary>
    /// <param name="recurringJobId">The recurring job id, quoted in the refusal message.</param>
    /// <param name="cron">The schedule as registered in Hangfire (5 fields, 6 with seconds, or a macro).</param>
    /// <param name="timeZone">The job's time zone (Hangfire's <c>TimeZoneId</c>, resolved).</param>
    /// <returns>The UTC expression, or the reason there is none.</returns>
    public static SqsdCronTranslation Translate(string recurringJobId, string cron, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(recurringJobId);
        ArgumentNullException.ThrowIfNull(timeZone);
        cron ??= string.Empty;
        var utc = TranslateCore(cron, timeZone, out var reason, out var neverFires);
        return utc is null
            ? SqsdCronTranslation.Refused(recurringJobId, cron, timeZone.Id, reason!, neverFires)
            : SqsdCronTranslation.Accepted(recurringJobId, cron, timeZone.Id, utc);
    }

    private static string? TranslateCore(string cron, TimeZoneInfo timeZone, out string? reason, out bool neverFires)
    {
        neverFires = false;
        if (string.IsNullOrWhiteSpace(cron))
        {
            reason = "the schedule is empty.";
            return null;
        }

        var hangfire = HangfireCron.TryParse(cron, out reason);
        if (hangfire is null)
        {
            return null;
        }

        if (HangfireCron.NeverFires(hangfire, timeZone))
        {
            neverFires = true;
            reason = "it never fires (e.g. Cron.Never() or February 31st), so it needs no periodic task.";
            return null;
        }

        var fields = ExpandMacro(cron, out reason);
        if (fields is null || (reason = SqsdCronSyntax.FindUnsupported(fields)) is not null)
        {
            return null;
        }

        var local = CronSchedule.Parse(fields);
        if (local.RestrictsDayOfMonth && local.RestrictsDayOfWeek)
        {
            reason = "it restricts both day-of-month and day-of-week; Hangfire fires only when both match, "
                + "but sqsd's cron parser fires when either matches (Vixie semantics), so no expression means the same to both.";
            return null;
        }

        var offset = SqsdTimeZone.FixedOffset(timeZone, out reason);
        var utc = offset is null ? null : CronScheduleShift.ToUtc(local, offset.Value, out reason);
        if (utc is null || (reason = SqsdCronSyntax.FindMissingMonthDays(utc.Value)) is not null)
        {
            return null;
        }

        return utc.Value.ToExpression();
    }

    private static string[]? ExpandMacro(string cron, out string? reason)
    {
        reason = null;
        if (!CronMacros.IsMacro(cron))
        {
            var fields = HangfireCron.Fields(cron);
            if (fields.Length == 6)
            {
                var hint = fields[0] == "0" ? $" Without it, '{string.Join(' ', fields.Skip(1))}' runs at second 0 of the same minutes." : string.Empty;
                reason = SecondsReason + hint;
                return null;
            }

            return fields;
        }

        if (CronMacros.TryExpand(cron, out var fiveFields))
        {
            return HangfireCron.Fields(fiveFields);
        }

        reason = string.Equals(cron.Trim(' ', '\t'), CronMacros.EverySecond, StringComparison.OrdinalIgnoreCase)
            ? SecondsReason
            : "it is a macro sqsd's cron parser does not know.";
        return null;
    }
}
