using System.Globalization;

namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Decides whether a time zone keeps one UTC offset from now on, so schedules in it convert exactly to UTC. Only the
/// future matters: a generated cron.yaml never runs in the past, so Asia/Kolkata (UTC+05:30 since 1945) is accepted
/// while its tz data still records older offsets.
/// </summary>
internal static class SqsdTimeZone
{
    /// <summary>The rule, quoted in every refusal so users know which zones would be accepted.</summary>
    public const string Rule = "cron.yaml accepts a time zone only when its UTC offset is a whole number of minutes and stays the same from now on "
        + "(UTC, Etc/GMT-9, Asia/Tokyo, Asia/Kolkata, Asia/Shanghai and other zones with neither daylight saving time nor a scheduled offset change)";

    public static TimeSpan? FixedOffset(TimeZoneInfo timeZone, out string? reason, DateTime? utcNow = null)
    {
        reason = null;
        var now = utcNow ?? DateTime.UtcNow;
        var offset = timeZone.GetUtcOffset(now);
        var future = timeZone.GetAdjustmentRules().Where(rule => rule.DateEnd >= now.Date).ToList();
        if (future.Any(rule => rule.DaylightDelta != TimeSpan.Zero))
        {
            reason = "its offset changes with daylight saving time, and sqsd runs cron in UTC; " + Rule
                + ". Register the job with TimeZoneInfo.Utc and adjust the hours, or use Hangfire's own recurring scheduler (see README).";
            return null;
        }

        if (future.FirstOrDefault(rule => timeZone.BaseUtcOffset + rule.BaseUtcOffsetDelta != offset) is { } change)
        {
            reason = $"its time zone data changes its UTC offset from {Format(offset)} to {Format(timeZone.BaseUtcOffset + change.BaseUtcOffsetDelta)} "
                + $"on {change.DateStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}, so no single UTC expression is exact for all dates; " + Rule
                + ". Register the job with TimeZoneInfo.Utc and adjust the hours" + FixedZoneHint(offset) + ", or use Hangfire's own recurring scheduler (see README).";
            return null;
        }

        if (offset.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            reason = $"its UTC offset {offset} is not a whole number of minutes, and sqsd's cron has minute resolution; " + Rule + ".";
            return null;
        }

        return offset;
    }

    private static string Format(TimeSpan offset) => "UTC" + (offset < TimeSpan.Zero ? "-" : "+") + offset.ToString(@"hh\:mm", CultureInfo.InvariantCulture);

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
