using System.Globalization;

namespace Hangfire.ElasticSqs.Worker.Http;

/// <summary>Parses sqsd's timestamp headers tolerantly: a bad timestamp is not worth a retry.</summary>
internal static class SqsdTimestamp
{
    /// <summary>The format sqsd writes (Ruby <c>Time#utc.iso8601</c>).</summary>
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    // Largest value DateTimeOffset.FromUnixTimeMilliseconds accepts (9999-12-31T23:59:59.999Z).
    private const long MaxUnixMilliseconds = 253_402_300_799_999;

    /// <summary>
    /// Returns the UTC instant, or null when absent or unreadable. Accepts sqsd's exact format first,
    /// then epoch milliseconds (what SQS itself returns, and what some emulators forward), then any
    /// ISO 8601 / invariant date, including the <c>2019-11-14 00:47:00 UTC</c> form of the
    /// <c>beanstalk.sqsd.scheduled_time</c> attribute. A value without an offset is taken as UTC.
    /// </summary>
    /// <param name="value">The header value.</param>
    /// <returns>The instant with offset zero, or null.</returns>
    public static DateTimeOffset? Parse(string? value)
    {
        var text = value.AsSpan().Trim();
        if (text.IsEmpty)
        {
            return null;
        }

        if (TryParseSqsdFormat(text, out var exact))
        {
            return exact;
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            return milliseconds <= MaxUnixMilliseconds ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) : null;
        }

        if (text.EndsWith(" UTC", StringComparison.OrdinalIgnoreCase))
        {
            text = text[..^4];
        }

        const DateTimeStyles utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, utc, out var any) ? any : null;
    }

    // Hand-written because it runs for two or three headers of every delivery, and
    // DateTimeOffset.TryParseExact costs about 300 ns per call.
    private static bool TryParseSqsdFormat(ReadOnlySpan<char> text, out DateTimeOffset result)
    {
        result = default;
        if (text.Length != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':'
            || text[16] != ':' || text[19] != 'Z'
            || !TryDigits(text[..4], out var year) || !TryDigits(text.Slice(5, 2), out var month)
            || !TryDigits(text.Slice(8, 2), out var day) || !TryDigits(text.Slice(11, 2), out var hour)
            || !TryDigits(text.Slice(14, 2), out var minute) || !TryDigits(text.Slice(17, 2), out var second)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        result = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<char> digits, out int value)
    {
        value = 0;
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
