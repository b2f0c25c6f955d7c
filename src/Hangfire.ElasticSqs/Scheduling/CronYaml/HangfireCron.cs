using Cronos;

namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>Reads a recurring job's schedule exactly as Hangfire 1.8 does (its parser is internal).</summary>
internal static class HangfireCron
{
    private static readonly char[] Separators = [' ', '\t'];

    /// <summary>The earliest instant from which "does it ever fire" is asked; any date works, cron has no year field.</summary>
    private static readonly DateTime Epoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static string[] Fields(string cron) => cron.Split(Separators, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Hangfire's rule: macros as they are, six fields means seconds, otherwise exactly five fields.</summary>
    public static CronExpression? TryParse(string cron, out string? error)
    {
        error = null;
        var format = CronFormat.Standard;
        if (!cron.StartsWith('@'))
        {
            var count = Fields(cron).Length;
            if (count == 6)
            {
                format = CronFormat.IncludeSeconds;
            }
            else if (count != 5)
            {
                error = $"it has {count} fields; Hangfire accepts 5, or 6 with seconds.";
                return null;
            }
        }

        try
        {
            return CronExpression.Parse(cron, format);
        }
        catch (CronFormatException exception)
        {
            error = $"Hangfire cannot parse it ({exception.Message}).";
        }
        catch (MissingSeedException)
        {
            error = "Hangfire cannot parse it ('H' jitter needs a seed Hangfire does not supply).";
        }

        return null;
    }

    public static bool NeverFires(CronExpression expression, TimeZoneInfo timeZone) =>
        expression.GetNextOccurrence(Epoch, timeZone) is null;
}
