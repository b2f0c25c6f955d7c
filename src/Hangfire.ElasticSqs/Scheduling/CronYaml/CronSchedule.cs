namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>The value sets of a five-field cron expression (day-of-week folded to 0–6).</summary>
internal readonly record struct CronSchedule(ulong Minutes, ulong Hours, ulong DaysOfMonth, ulong Months, ulong DaysOfWeek)
{
    public bool RestrictsDayOfMonth => DaysOfMonth != CronField.DayOfMonth.AllBits;

    public bool RestrictsDayOfWeek => DaysOfWeek != CronField.DayOfWeek.AllBits;

    public bool RestrictsMonth => Months != CronField.Month.AllBits;

    public bool RestrictsAnyDay => RestrictsDayOfMonth || RestrictsDayOfWeek || RestrictsMonth;

    public static CronSchedule Parse(string[] fields) => new(
        CronFieldParser.Parse(CronField.Minute, fields[0]),
        CronFieldParser.Parse(CronField.Hour, fields[1]),
        CronFieldParser.Parse(CronField.DayOfMonth, fields[2]),
        CronFieldParser.Parse(CronField.Month, fields[3]),
        CronFieldParser.Parse(CronField.DayOfWeek, fields[4]));

    public string ToExpression() => string.Join(' ',
        CronFieldWriter.Write(CronField.Minute, Minutes),
        CronFieldWriter.Write(CronField.Hour, Hours),
        CronFieldWriter.Write(CronField.DayOfMonth, DaysOfMonth),
        CronFieldWriter.Write(CronField.Month, Months),
        CronFieldWriter.Write(CronField.DayOfWeek, DaysOfWeek));
}
