using System.Globalization;

namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Writes a value set back as a cron field using only the syntax every parse-cron version reads the same way
/// as Cronos: <c>*</c>, <c>*/n</c>, numbers, <c>a-b</c> and <c>a-b/n</c> with a &lt; b, and commas. No names, no 7
/// for Sunday, no reversed ranges, no <c>a/n</c>. A full day-of-month or day-of-week set is always written as the
/// literal <c>*</c>, because parse-cron decides between "either day field matches" and "both" by comparing
/// the field's text with <c>*</c>.
/// </summary>
internal static class CronFieldWriter
{
    public static string Write(CronField field, ulong bits)
    {
        if (bits == field.AllBits)
        {
            return "*";
        }

        var values = CronField.Values(bits).ToList();
        for (var step = 2; step <= field.Last - field.First; step++)
        {
            // "*/30" and "*/12" read better than "0,30" and "0,12", but "0,59" better than "*/59" and months
            // "1,7" better than "*/6": with two values, use the step form only for an even split of the clock.
            var evenClockSplit = field.First == 0 && field != CronField.DayOfWeek && (field.Last + 1) % step == 0;
            if ((values.Count >= 3 || (values.Count == 2 && evenClockSplit)) && bits == CronField.RangeBits(field.First, field.Last, step))
            {
                return "*/" + Text(step);
            }
        }

        var parts = new List<string>();
        for (var i = 0; i < values.Count;)
        {
            var consecutive = RunLength(values, i, 1);
            var stepped = i + 1 < values.Count ? RunLength(values, i, values[i + 1] - values[i]) : 1;
            if (consecutive >= 3)
            {
                parts.Add($"{Text(values[i])}-{Text(values[i + consecutive - 1])}");
                i += consecutive;
            }
            else if (stepped >= 3 && i == 0 && stepped == values.Count)
            {
                // Only when one progression is the whole field ("5/15" gives "5-50/15"); mixing stepped runs
                // with other values reads worse than a plain list.
                parts.Add($"{Text(values[i])}-{Text(values[i + stepped - 1])}/{Text(values[i + 1] - values[i])}");
                i += stepped;
            }
            else
            {
                parts.Add(Text(values[i]));
                i++;
            }
        }

        return string.Join(',', parts);
    }

    /// <summary>How many values from <paramref name="start"/> on go up by exactly <paramref name="step"/>.</summary>
    private static int RunLength(List<int> values, int start, int step)
    {
        var length = 1;
        while (start + length < values.Count && values[start + length] - values[start + length - 1] == step)
        {
            length++;
        }

        return length;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
