using System.Globalization;

namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Moves a schedule written in a fixed-offset local time to UTC, only when the result fires at exactly
/// the same instants; otherwise says why not.
/// </summary>
internal static class CronScheduleShift
{
    private const int MinutesPerDay = 24 * 60;

    public static CronSchedule? ToUtc(CronSchedule local, TimeSpan offset, out string? reason)
    {
        reason = null;
        var offsetMinutes = (int)offset.TotalMinutes;
        if (offsetMinutes == 0)
        {
            return local;
        }

        var offsetText = (offset < TimeSpan.Zero ? "-" : "+") + offset.ToString(@"hh\:mm", CultureInfo.InvariantCulture);
        var utcTimes = new HashSet<int>();
        var dayShifts = new HashSet<int>();
        ulong hours = 0, minutes = 0;
        foreach (var hour in CronField.Values(local.Hours))
        {
            foreach (var minute in CronField.Values(local.Minutes))
            {
                var utc = (hour * 60) + minute - offsetMinutes;
                var dayShift = (int)Math.Floor(utc / (double)MinutesPerDay);
                utc -= dayShift * MinutesPerDay;
                utcTimes.Add(utc);
                dayShifts.Add(dayShift);
                hours |= 1UL << (utc / 60);
                minutes |= 1UL << (utc % 60);
            }
        }

        // The UTC times must again be "every listed minute of every listed hour".
        if (utcTimes.Count != CronField.Values(hours).Count() * CronField.Values(minutes).Count())
        {
            reason = $"converting from UTC{offsetText} to UTC gives a set of times that no pair of minute and hour fields describes (the offset's minutes move some times into a different hour than others).";
            return null;
        }

        var shifted = local with { Minutes = minutes, Hours = hours };
        if (!local.RestrictsAnyDay || dayShifts.SetEquals([0]))
        {
            return shifted;
        }

        if (dayShifts.Count > 1)
        {
            reason = $"converting from UTC{offsetText} to UTC moves some fire times to another UTC day and not others, while the schedule restricts the day or month, so no single UTC expression matches.";
            return null;
        }

        return ShiftDays(shifted, dayShifts.Single(), offsetText, out reason);
    }

    private static CronSchedule? ShiftDays(CronSchedule schedule, int dayShift, string offsetText, out string? reason)
    {
        reason = null;
        var direction = dayShift < 0 ? "previous" : "next";
        if (schedule.RestrictsDayOfMonth)
        {
            // Days 2–28 (moving back) or 1–27 (moving forward) land on a day that exists in the same month
            // whenever the original day does; other days would change month or existence.
            var days = CronField.Values(schedule.DaysOfMonth).ToList();
            var (low, high) = dayShift < 0 ? (2, 28) : (1, 27);
            if (days.Any(day => day < low || day > high))
            {
                reason = $"converting from UTC{offsetText} to UTC moves the fire times to the {direction} UTC day, and day-of-month {string.Join(',', days)} has no exact equivalent on that day in every month (only days {low}-{high} shift exactly).";
                return null;
            }

            return schedule with { DaysOfMonth = days.Aggregate(0UL, (bits, day) => bits | (1UL << (day + dayShift))) };
        }

        if (schedule.RestrictsMonth)
        {
            reason = $"converting from UTC{offsetText} to UTC moves the fire times to the {direction} UTC day, which crosses month boundaries, while the schedule restricts the month.";
            return null;
        }

        // Only day-of-week is restricted: Monday 01:00 at UTC+02:00 is Sunday 23:00 UTC.
        var weekdays = CronField.Values(schedule.DaysOfWeek).Aggregate(0UL, (bits, day) => bits | (1UL << (((day + dayShift) % 7 + 7) % 7)));
        return schedule with { DaysOfWeek = weekdays };
    }
}
