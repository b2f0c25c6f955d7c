using System.Globalization;

namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>Decides whether a time zone has one offset for all time, so schedules in it convert exactly to UTC.</summary>
internal static class SqsdTimeZone
{
    public static TimeSpan? FixedOffset(TimeZoneInfo timeZone, out string? reason)
    {
        reason = null;
        var rules = timeZone.GetAdjustmentRules();
        if (!timeZone.SupportsDaylightSavingTime && rules.Length == 0)
        {
            if (timeZone.BaseUtcOffset.Ticks % TimeSpan.TicksPerMinute != 0)
            {
                reason = $"its UTC offset {timeZone.BaseUtcOffset} is not a whole number of minutes, and sqsd's cron has minute resolution.";
                return null;
            }

            return timeZone.BaseUtcOffset;
        }

        // Ongoing daylight saving shows as a rule that runs to the end of time with a daylight delta.
        var ongoingDaylightSaving = rules.Any(rule => rule.DateEnd == DateTime.MaxValue.Date && rule.DaylightDelta != TimeSpan.Zero);
        reason = ongoingDaylightSaving
            ? "its offset changes with daylight saving time; sqsd runs cron in UTC; register the job with TimeZoneInfo.Utc and adjust the hours, or use Hangfire's own recurring scheduler (see README)."
            : "its UTC offset is not fixed: the time zone data records offset changes (daylight saving or historical changes), so no single UTC expression is exact for all dates; register the job with TimeZoneInfo.Utc and adjust the hours"
              + FixedZoneHint(timeZone.BaseUtcOffset) + ", or use Hangfire's own recurring scheduler (see README).";
        return null;
    }

    /// <summary>The IANA fixed-offset zone with the same offset, if one exists (note the inverted sign of Etc/GMT zones).</summary>
    private static string FixedZoneHint(TimeSpan offset)
    {
        if (offset.Ticks % TimeSpan.TicksPerHour != 0 || offset == TimeSpan.Zero)
        {
            return string.Empty;
        }

        var hours = (int)offset.TotalHours;
        var etcId = "Etc/GMT" + (hours > 0 ? "-" : "+") + Math.Abs(hours).ToString(CultureInfo.InvariantCulture);
        return $" (or use the fixed-offset zone '{etcId}', which is always UTC{(hours > 0 ? "+" : "-")}{Math.Abs(hours):00}:00)";
    }
}
