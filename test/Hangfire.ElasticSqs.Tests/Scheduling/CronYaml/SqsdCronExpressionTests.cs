using Cronos;
using Hangfire.ElasticSqs.Scheduling.CronYaml;

namespace Hangfire.ElasticSqs.Tests.Scheduling.CronYaml;

public class SqsdCronExpressionTests
{
    private static readonly TestCaseData[] Accepted =
    [
        Case(Cron.Minutely(), "UTC", "* * * * *"),
        Case(Cron.Hourly(15), "UTC", "15 * * * *"),
        Case(Cron.Daily(3, 30), "UTC", "30 3 * * *"),
        Case(Cron.Weekly(DayOfWeek.Monday, 9), "UTC", "0 9 * * 1"),
        Case(Cron.Monthly(1), "UTC", "0 0 1 * *"),
        Case(Cron.Yearly(), "UTC", "0 0 1 1 *"),
        Case("*/5 * * * *", "UTC", "*/5 * * * *"),
        Case("0 */2 * * 1-5", "UTC", "0 */2 * * 1-5"),
        Case("0 */12 * * *", "Etc/UTC", "0 */12 * * *"),
        Case("0 9 * * MON-FRI", "UTC", "0 9 * * 1-5"),
        Case("0 0 * jan,JUL *", "UTC", "0 0 * 1,7 *"),
        Case("0 0 * * 7", "UTC", "0 0 * * 0"),
        Case("0 0 * * 5-7", "UTC", "0 0 * * 0,5,6"),
        Case("0 22-2 * * *", "UTC", "0 0-2,22,23 * * *"),
        Case("5/15 * * * *", "UTC", "5-50/15 * * * *"),
        Case("0,30 * * * *", "UTC", "*/30 * * * *"),
        Case("0 0 1-31 * 1", "UTC", "0 0 * * 1"),
        Case("0 0 30 1 *", "UTC", "0 0 30 1 *"),
        Case("0 0 31 1,3,5,7,8,10,12 *", "UTC", "0 0 31 1,3,5,7,8,10,12 *"),
        Case("@daily", "UTC", "0 0 * * *"),
        Case("@HOURLY", "UTC", "0 * * * *"),
        Case("@weekly", "UTC", "0 0 * * 0"),
        Case("@every_minute", "UTC", "* * * * *"),
        Case(Cron.Daily(3, 30), "Plus2", "30 1 * * *"),
        Case(Cron.Weekly(DayOfWeek.Monday, 9), "Plus2", "0 7 * * 1"),
        Case(Cron.Weekly(DayOfWeek.Monday, 1), "Plus2", "0 23 * * 0"),
        Case("0 1 * * 1-5", "Plus2", "0 23 * * 0-4"),
        Case("0 */2 * * *", "Plus2", "0 */2 * * *"),
        Case("0 1 15 * *", "Plus2", "0 23 14 * *"),
        Case("0 12 * 6 *", "Plus2", "0 10 * 6 *"),
        Case("@daily", "Plus2", "0 22 * * *"),
        Case("0 20 * * 5", "Minus5", "0 1 * * 6"),
        Case("0 22 27 * *", "Minus5", "0 3 28 * *"),
        Case("0 9 * * *", "Plus0530", "30 3 * * *"),
        Case("*/15 * * * *", "Plus0530", "*/15 * * * *"),
        Case("0 9 * * *", "Etc/GMT-2", "0 7 * * *"),
        Case("0 9 * * *", "HistoricalChange", "0 0 * * *"),
        Case("0 9 * * *", "Asia/Kolkata", "30 3 * * *"),
        Case("0 9 * * 1-5", "Asia/Tokyo", "0 0 * * 1-5"),
        Case("30 8 * * *", "Asia/Shanghai", "30 0 * * *"),
        Case("0 9 * * *", "Asia/Kathmandu", "15 3 * * *"),
        Case("0 9 * * *", "Asia/Singapore", "0 1 * * *"),
        Case("0 9 * * *", "Africa/Nairobi", "0 6 * * *"),
    ];

    private static readonly TestCaseData[] Refused =
    [
        Case("*/10 * * * * *", "UTC", "sqsd cron has minute resolution and silently ignores a 6th field"),
        Case("0 30 9 * * *", "UTC", "Without it, '30 9 * * *' runs at second 0"),
        Case("@every_second", "UTC", "minute resolution"),
        Case("0 0 L * *", "UTC", "'L' (last day of the month)"),
        Case("0 0 * * 5L", "UTC", "'L' (last given weekday of the month)"),
        Case("0 0 ? * MON", "UTC", "'?'"),
        Case("0 0 1W * *", "UTC", "'W' (nearest weekday)"),
        Case("0 0 * * 5#3", "UTC", "'#' (nth weekday of the month)"),
        Case("0 0 1 * 1", "UTC", "restricts both day-of-month and day-of-week"),
        Case("0 0 31 * *", "UTC", "day-of-month 31 does not exist in every selected month (not in month 2,4,6,9,11 every year); Hangfire skips such months but sqsd's cron parser fires on the 1st of them instead; list only the months that always have it (month field '1,3,5,7,8,10,12')"),
        Case("0 0 29 2 *", "UTC", "choose a day that exists in the selected months"),
        Case("0 0 * *", "UTC", "it has 4 fields"),
        Case("61 * * * *", "UTC", "Hangfire cannot parse it"),
        Case("", "UTC", "the schedule is empty"),
        Case("0 9 * * *", "Europe/London", "offset changes with daylight saving time, and sqsd runs cron in UTC; cron.yaml accepts a time zone only when its UTC offset is a whole number of minutes and stays the same from now on (UTC, Etc/GMT-9, Asia/Tokyo, Asia/Kolkata, Asia/Shanghai and other zones with neither daylight saving time nor a scheduled offset change). Register the job with TimeZoneInfo.Utc and adjust the hours, or use Hangfire's own recurring scheduler (see README)."),
        Case("0 9 * * *", "America/New_York", "offset changes with daylight saving time"),
        Case("0 9 * * *", "Australia/Sydney", "offset changes with daylight saving time"),
        Case("0 9 * * *", "FutureChange", "its time zone data changes its UTC offset from UTC+03:00 to UTC+04:00 on 2090-01-01"),
        Case(Cron.Monthly(1), "Plus2", "moves the fire times to the previous UTC day, and day-of-month 1 has no exact equivalent"),
        Case("0 */2 * * 1-5", "Plus2", "moves some fire times to another UTC day and not others"),
        Case("0 1 * 6 *", "Plus2", "crosses month boundaries, while the schedule restricts the month"),
        Case("0 22 28 * *", "Minus5", "to the next UTC day, and day-of-month 28"),
        Case("0,45 9 * * *", "Plus0530", "no pair of minute and hour fields describes"),
    ];

    [TestCaseSource(nameof(Accepted))]
    public void Translates_schedules_sqsd_reads_the_same_way_exactly(string cron, string timeZoneId, string expected)
    {
        var translation = SqsdCronExpression.Translate("job", cron, TestTimeZones.Get(timeZoneId));

        translation.RefusalReason.Should().BeNull();
        translation.UtcExpression.Should().Be(expected);
        translation.Error.Should().BeNull();
    }

    [TestCaseSource(nameof(Accepted))]
    public void Translated_schedules_fire_at_the_same_instants_under_sqsd_as_under_Hangfire(string cron, string timeZoneId, string expected)
    {
        var timeZone = TestTimeZones.Get(timeZoneId);
        var hangfire = HangfireCronForTests(cron);
        var sqsd = new ParseCronModel(expected);
        var from = new DateTime(2027, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        var to = new DateTime(2029, 3, 1, 0, 0, 0, DateTimeKind.Utc); // covers a leap day and every month

        var hangfireTimes = hangfire.GetOccurrences(from, to, timeZone).ToHashSet();
        var sqsdTimes = Enumerable.Range(0, (int)(to - from).TotalMinutes).Select(minute => from.AddMinutes(minute)).Where(sqsd.Matches).ToHashSet();

        sqsdTimes.SetEquals(hangfireTimes).Should().BeTrue(
            $"'{expected}' under sqsd must fire exactly when '{cron}' in {timeZoneId} fires under Hangfire; only sqsd: {string.Join(", ", sqsdTimes.Except(hangfireTimes).Take(3))}; only Hangfire: {string.Join(", ", hangfireTimes.Except(sqsdTimes).Take(3))}");
    }

    [TestCaseSource(nameof(Refused))]
    public void Refuses_schedules_sqsd_cannot_run_exactly_with_the_reason(string cron, string timeZoneId, string expectedReason)
    {
        var translation = SqsdCronExpression.Translate("nightly-report", cron, TestTimeZones.Get(timeZoneId));

        translation.IsAccepted.Should().BeFalse();
        translation.UtcExpression.Should().BeNull();
        translation.RefusalReason.Should().Contain(expectedReason);
        translation.Error.Should().StartWith($"Recurring job 'nightly-report': schedule '{cron}' (time zone '{TestTimeZones.Get(timeZoneId).Id}') cannot be run by sqsd: ");
        translation.NeverFires.Should().BeFalse();
    }

    [TestCase("0 0 31 2 *")]
    [TestCase("0 0 30 2 *")]
    public void Schedules_that_never_fire_are_marked_so_no_task_is_generated(string cron)
    {
        var translation = SqsdCronExpression.Translate("manual-only", cron, TimeZoneInfo.Utc);

        translation.NeverFires.Should().BeTrue();
        translation.IsAccepted.Should().BeFalse();
        translation.RefusalReason.Should().Contain("never fires");
    }

    [Test]
    public void Cron_Never_is_a_schedule_that_never_fires()
    {
        SqsdCronExpression.Translate("manual-only", Cron.Never(), TestTimeZones.Plus2).NeverFires.Should().BeTrue();
    }

    private static TestCaseData Case(string cron, string timeZoneId, string expected) =>
        new TestCaseData(cron, timeZoneId, expected).SetArgDisplayNames($"'{cron}' in {timeZoneId}");

    private static CronExpression HangfireCronForTests(string cron) =>
        CronExpression.Parse(cron, cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
}
