using System.Globalization;
using Cronos;
using Hangfire.ElasticSqs.Scheduling.CronYaml;

namespace Hangfire.ElasticSqs.Tests.Scheduling.CronYaml;

/// <summary>
/// For many generated schedules and fixed-offset zones, every translation the generator accepts must fire at exactly
/// the instants Cronos gives for the original schedule in its zone, over several years (leap days, month and year ends).
/// </summary>
public class SqsdCronTranslationPropertyTests
{
    private const int Schedules = 400;
    private const int OccurrencesPerStart = 150;

    private static readonly TimeSpan[] Offsets =
    [
        TimeSpan.Zero, TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(-5), new(5, 30, 0), new(5, 45, 0),
        TimeSpan.FromHours(9), new(-3, -30, 0), TimeSpan.FromHours(12), TimeSpan.FromHours(-11), TimeSpan.FromHours(14),
    ];

    private static readonly DateTime[] Starts =
    [
        Utc(2027, 1, 1), Utc(2027, 6, 30), Utc(2027, 12, 31), Utc(2028, 2, 27), Utc(2028, 2, 29), Utc(2029, 3, 31),
        Utc(2029, 9, 30), Utc(2030, 4, 30), Utc(2031, 11, 30), Utc(2032, 2, 28),
    ];

    [Test]
    public void Accepted_translations_fire_when_the_original_fires_in_its_zone()
    {
        var random = new Random(20261204); // fixed: a failure names its schedule and reproduces
        var accepted = 0;
        for (var i = 0; i < Schedules; i++)
        {
            var cron = RandomSchedule(random);
            var offset = Offsets[random.Next(Offsets.Length)];
            var zone = TimeZoneInfo.CreateCustomTimeZone($"Fixed{offset}", offset, $"UTC{offset}", $"UTC{offset}");
            var translation = SqsdCronExpression.Translate("job", cron, zone);
            if (!translation.IsAccepted)
            {
                continue;
            }

            accepted++;
            var original = CronExpression.Parse(cron);
            var utc = CronExpression.Parse(translation.UtcExpression!);
            foreach (var start in Starts)
            {
                var expected = Next(original, start, zone);
                var actual = Next(utc, start, TimeZoneInfo.Utc);
                actual.Should().Equal(expected, $"'{translation.UtcExpression}' (UTC) must fire when '{cron}' fires at offset {offset}, from {start:yyyy-MM-dd}");
            }
        }

        accepted.Should().BeGreaterThan(Schedules / 4, "the generator must accept enough schedules for the property to mean something");
    }

    private static List<DateTime> Next(CronExpression expression, DateTime start, TimeZoneInfo zone)
        => expression.GetOccurrences(start, start.AddYears(3), zone).Take(OccurrencesPerStart).ToList();

    private static DateTime Utc(int year, int month, int day) => new(year, month, day, 0, 0, 0, DateTimeKind.Utc);

    private static string RandomSchedule(Random random)
    {
        var minute = Field(random, 0, 59, starWeight: 1);
        var hour = Field(random, 0, 23, starWeight: 2);
        var restrictDayOfWeek = random.Next(3) == 0;
        var dayOfMonth = restrictDayOfWeek ? "*" : Field(random, 1, 28, starWeight: 4);
        var month = Field(random, 1, 12, starWeight: 5);
        var dayOfWeek = restrictDayOfWeek ? Field(random, 0, 6, starWeight: 0) : "*";
        return string.Join(' ', minute, hour, dayOfMonth, month, dayOfWeek);
    }

    /// <summary>One cron field: '*', a value, a step, a range, a stepped range or a list, over [min, max].</summary>
    private static string Field(Random random, int min, int max, int starWeight)
    {
        var pick = random.Next(starWeight + 6);
        if (pick < starWeight)
        {
            return "*";
        }

        int Value() => random.Next(min, max + 1);
        var low = Value();
        var high = random.Next(low, max + 1);
        var step = random.Next(2, Math.Max(3, (max - min) / 2));
        return (pick - starWeight) switch
        {
            0 or 1 => Value().ToString(CultureInfo.InvariantCulture),
            2 => $"*/{step}",
            3 => $"{low}-{high}",
            4 => $"{low}-{high}/{step}",
            _ => string.Join(',', Enumerable.Range(0, random.Next(2, 4)).Select(_ => Value()).Distinct().Order()),
        };
    }
}
