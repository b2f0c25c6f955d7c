namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// One of the five cron fields, with the value range Cronos (Hangfire) accepts and the range sqsd's parser
/// (parse-cron) expands <c>*</c> and <c>*/n</c> over. They differ only for day-of-week, where Cronos also
/// accepts 7 for Sunday; values are folded to 0–6 once parsed.
/// </summary>
internal sealed class CronField
{
    public static readonly CronField Minute = new("minute", 0, 59, 59, null);
    public static readonly CronField Hour = new("hour", 0, 23, 23, null);
    public static readonly CronField DayOfMonth = new("day-of-month", 1, 31, 31, null);
    public static readonly CronField Month = new("month", 1, 12, 12, ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]);
    public static readonly CronField DayOfWeek = new("day-of-week", 0, 7, 6, ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]);

    private CronField(string name, int first, int cronosLast, int last, string[]? names)
    {
        Name = name;
        First = first;
        CronosLast = cronosLast;
        Last = last;
        Names = names;
    }

    public string Name { get; }

    public int First { get; }

    /// <summary>The highest value Cronos accepts (7 for day-of-week).</summary>
    public int CronosLast { get; }

    /// <summary>The highest value once parsed, and the end of the range parse-cron expands <c>*</c> over.</summary>
    public int Last { get; }

    /// <summary>Three-letter names, indexed from <see cref="First"/>; null when the field has none.</summary>
    public string[]? Names { get; }

    public ulong AllBits => RangeBits(First, Last, 1);

    public static ulong RangeBits(int low, int high, int step)
    {
        var bits = 0UL;
        for (var value = low; value <= high; value += step)
        {
            bits |= 1UL << value;
        }

        return bits;
    }

    public static IEnumerable<int> Values(ulong bits)
    {
        for (var value = 0; value < 64; value++)
        {
            if ((bits & (1UL << value)) != 0)
            {
                yield return value;
            }
        }
    }
}
