using System.Globalization;

namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Expands one field of an expression Cronos has already accepted into the set of values Cronos fires on,
/// following Cronos's rules: names, <c>n/step</c> meaning <c>n-last/step</c>, reversed ranges wrapping round
/// (<c>22-2</c>), and 7 as Sunday. Quartz extensions are rejected before this runs.
/// </summary>
internal static class CronFieldParser
{
    public static ulong Parse(CronField field, string text)
    {
        var bits = 0UL;
        foreach (var item in text.Split(','))
        {
            bits |= ParseItem(field, item);
        }

        if (field == CronField.DayOfWeek && (bits & (1UL << 7)) != 0)
        {
            bits = (bits & ~(1UL << 7)) | 1UL; // 7 and 0 are both Sunday
        }

        return bits;
    }

    private static ulong ParseItem(CronField field, string item)
    {
        var slash = item.IndexOf('/', StringComparison.Ordinal);
        var rangeText = slash < 0 ? item : item[..slash];
        var step = slash < 0 ? 1 : ParseNumber(field, item[(slash + 1)..]);
        if (step < 1)
        {
            throw new FormatException($"step {step} in the {field.Name} field");
        }

        if (rangeText == "*")
        {
            return Bits(field, field.First, field.CronosLast, step);
        }

        var dash = rangeText.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            var value = ParseValue(field, rangeText);
            return slash < 0 ? 1UL << value : Bits(field, value, field.CronosLast, step);
        }

        return Bits(field, ParseValue(field, rangeText[..dash]), ParseValue(field, rangeText[(dash + 1)..]), step);
    }

    private static ulong Bits(CronField field, int low, int high, int step)
    {
        if (high >= low)
        {
            return CronField.RangeBits(low, high, step);
        }

        // A reversed range wraps round the end of the field, continuing the step where it left off,
        // exactly as Cronos computes it (Cronos skips the second Sunday, 7, when wrapping day-of-week).
        var top = field == CronField.DayOfWeek ? field.CronosLast - 1 : field.CronosLast;
        var bits = CronField.RangeBits(low, top, step);
        var restart = field.First + step - ((top - low) % step) - 1;
        return bits | CronField.RangeBits(restart, high, step);
    }

    private static int ParseValue(CronField field, string text)
    {
        if (field.Names is { } names)
        {
            var index = Array.FindIndex(names, name => string.Equals(name, text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                return field.First + index;
            }
        }

        var value = ParseNumber(field, text);
        if (value < field.First || value > field.CronosLast)
        {
            throw new FormatException($"{text} is outside the {field.Name} field");
        }

        return value;
    }

    private static int ParseNumber(CronField field, string text) =>
        text.Length is > 0 and <= 2 && text.All(char.IsAsciiDigit)
            ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture)
            : throw new FormatException($"'{text}' in the {field.Name} field");
}
