namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>The parts of Cronos syntax, and the schedules, that sqsd's cron parser (parse-cron) cannot run as Hangfire does.</summary>
internal static class SqsdCronSyntax
{
    /// <summary>The fewest days each month has (February in common years).</summary>
    private static readonly int[] ShortestMonthLength = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

    /// <summary>Finds Quartz extensions, which Cronos accepts and parse-cron does not.</summary>
    public static string? FindUnsupported(string[] fields)
    {
        if (fields.Any(field => field.Contains('?', StringComparison.Ordinal)))
        {
            return "it uses '?', a Quartz extension sqsd's cron parser does not support; Hangfire reads it as '*', so write '*'.";
        }

        var dayOfMonth = fields[2];
        var dayOfWeek = fields[4];
        if (dayOfMonth.Contains('L', StringComparison.OrdinalIgnoreCase))
        {
            return "it uses 'L' (last day of the month), a Quartz extension sqsd's cron parser does not support.";
        }

        if (dayOfMonth.Contains('W', StringComparison.OrdinalIgnoreCase))
        {
            return "it uses 'W' (nearest weekday), a Quartz extension sqsd's cron parser does not support.";
        }

        if (dayOfWeek.Contains('#', StringComparison.Ordinal))
        {
            return "it uses '#' (nth weekday of the month), a Quartz extension sqsd's cron parser does not support.";
        }

        // No day name contains an L, so any L here is Cronos's "last weekday of the month" suffix.
        return dayOfWeek.Contains('L', StringComparison.OrdinalIgnoreCase)
            ? "it uses 'L' (last given weekday of the month), a Quartz extension sqsd's cron parser does not support."
            : null;
    }

    /// <summary>
    /// Finds selected months that can have none of the selected days. Cronos skips such a month; parse-cron
    /// 0.1.4 (checked by running it) fires on the 1st of it instead: "0 0 31 * *" fires on February 1st.
    /// </summary>
    public static string? FindMissingMonthDays(CronSchedule schedule)
    {
        if (!schedule.RestrictsDayOfMonth)
        {
            return null;
        }

        var firstDay = CronField.Values(schedule.DaysOfMonth).First();
        var months = CronField.Values(schedule.Months).ToList();
        var shortMonths = months.Where(month => ShortestMonthLength[month] < firstDay).ToList();
        if (shortMonths.Count == 0)
        {
            return null;
        }

        var safeMonths = months.Where(month => ShortestMonthLength[month] >= firstDay).ToList();
        var advice = safeMonths.Count > 0
            ? $"list only the months that always have it (month field '{CronFieldWriter.Write(CronField.Month, safeMonths.Aggregate(0UL, (bits, m) => bits | (1UL << m)))}')"
            : "choose a day that exists in the selected months";
        return $"day-of-month {CronFieldWriter.Write(CronField.DayOfMonth, schedule.DaysOfMonth)} does not exist in every selected month (not in month {string.Join(',', shortMonths)} every year); "
            + $"Hangfire skips such months but sqsd's cron parser fires on the 1st of them instead; {advice}.";
    }
}
