namespace Hangfire.ElasticSqs.Tests.Scheduling.CronYaml;

/// <summary>
/// How sqsd's cron parser (parse-cron 0.1.4, lib/cron_parser.rb) decides whether a UTC minute matches a
/// five-field expression, restated for tests (numbers only: the translator never writes names): "*"/"*/n" over 0-59, 0-23, 1-31, 1-12, 0-6,
/// "a", "a-b", "a-b/n", 7 also Sunday, and when either day field is not the literal "*", a day matches if
/// either restricted day field matches. (Its "next month lacks the day" bug is refused by the translator.)
/// </summary>
internal sealed class ParseCronModel
{
    private static readonly (int First, int Last)[] Ranges = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)];
    private readonly HashSet<int>[] _sets;
    private readonly bool _dayOfMonthStar;
    private readonly bool _dayOfWeekStar;

    public ParseCronModel(string expression)
    {
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        fields.Length.Should().Be(5, "sqsd reads five fields");
        _sets = fields.Select((field, index) => Expand(field, Ranges[index])).ToArray();
        _dayOfMonthStar = fields[2] == "*";
        _dayOfWeekStar = fields[4] == "*";
        if (_sets[4].Contains(7))
        {
            _sets[4].Add(0);
        }
    }

    public bool Matches(DateTime utc)
    {
        if (!_sets[0].Contains(utc.Minute) || !_sets[1].Contains(utc.Hour) || !_sets[3].Contains(utc.Month))
        {
            return false;
        }

        var dayOfMonth = _sets[2].Contains(utc.Day);
        var dayOfWeek = _sets[4].Contains((int)utc.DayOfWeek);
        if (_dayOfMonthStar && _dayOfWeekStar)
        {
            return true;
        }

        return (!_dayOfMonthStar && dayOfMonth) || (!_dayOfWeekStar && dayOfWeek);
    }

    private static HashSet<int> Expand(string field, (int First, int Last) range)
    {
        var values = new HashSet<int>();
        foreach (var item in field.Split(','))
        {
            if (item.StartsWith('*'))
            {
                var step = item.Length > 1 ? int.Parse(item[2..], System.Globalization.CultureInfo.InvariantCulture) : 1;
                AddRange(values, range.First, range.Last, step);
                continue;
            }

            var match = System.Text.RegularExpressions.Regex.Match(item, @"^(\d+)(-(\d+)(/(\d+))?)?$");
            match.Success.Should().BeTrue($"parse-cron rejects '{item}'");
            var low = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var high = match.Groups[3].Success ? int.Parse(match.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture) : low;
            var stepValue = match.Groups[5].Success ? int.Parse(match.Groups[5].Value, System.Globalization.CultureInfo.InvariantCulture) : 1;
            AddRange(values, low, high, stepValue);
        }

        return values;
    }

    private static void AddRange(HashSet<int> values, int low, int high, int step)
    {
        for (var value = low; value <= high; value += step)
        {
            values.Add(value);
        }
    }
}
