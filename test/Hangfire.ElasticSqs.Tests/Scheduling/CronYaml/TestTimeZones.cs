namespace Hangfire.ElasticSqs.Tests.Scheduling.CronYaml;

/// <summary>Time zones for schedule tests; custom fixed-offset zones keep results independent of the machine's tz data.</summary>
internal static class TestTimeZones
{
    public static readonly TimeZoneInfo Plus2 = TimeZoneInfo.CreateCustomTimeZone("Plus2", TimeSpan.FromHours(2), "UTC+02:00", "Plus2");
    public static readonly TimeZoneInfo Minus5 = TimeZoneInfo.CreateCustomTimeZone("Minus5", TimeSpan.FromHours(-5), "UTC-05:00", "Minus5");
    public static readonly TimeZoneInfo Plus0530 = TimeZoneInfo.CreateCustomTimeZone("Plus0530", new TimeSpan(5, 30, 0), "UTC+05:30", "Plus0530");

    /// <summary>A zone with no current daylight saving but an offset change in 1950, like many real zones' history.</summary>
    public static readonly TimeZoneInfo HistoricalChange = TimeZoneInfo.CreateCustomTimeZone(
        "HistoricalChange", TimeSpan.FromHours(9), "UTC+09:00", "Std", "Dst",
        [TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(
            new DateTime(1948, 1, 1), new DateTime(1951, 12, 31), TimeSpan.FromHours(1),
            TimeZoneInfo.TransitionTime.CreateFixedDateRule(new DateTime(1, 1, 1, 2, 0, 0), 5, 1),
            TimeZoneInfo.TransitionTime.CreateFixedDateRule(new DateTime(1, 1, 1, 2, 0, 0), 9, 1))]);

    /// <summary>UTC+03:00 today, but its data schedules UTC+04:00 from 2090: refused, because the future matters.</summary>
    public static readonly TimeZoneInfo FutureChange = TimeZoneInfo.CreateCustomTimeZone(
        "FutureChange", TimeSpan.FromHours(3), "UTC+03:00", "Std", "Std",
        [TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(
            new DateTime(2090, 1, 1), DateTime.MaxValue.Date, TimeSpan.Zero,
            TimeZoneInfo.TransitionTime.CreateFixedDateRule(new DateTime(1, 1, 1, 2, 0, 0), 5, 1),
            TimeZoneInfo.TransitionTime.CreateFixedDateRule(new DateTime(1, 1, 1, 2, 0, 0), 9, 1),
            TimeSpan.FromHours(1))]);

    public static TimeZoneInfo Get(string id) => id switch
    {
        "Plus2" => Plus2,
        "Minus5" => Minus5,
        "Plus0530" => Plus0530,
        "HistoricalChange" => HistoricalChange,
        "FutureChange" => FutureChange,
        "UTC" => TimeZoneInfo.Utc,
        _ => TimeZoneInfo.FindSystemTimeZoneById(id),
    };
}
