using System.Globalization;

namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>
/// Header values and formats exactly as aws-sqsd writes them (the names themselves are
/// <see cref="SqsdHeaderNames"/>). Its HTTP client (em-http-request)
/// lower-cases every header name and capitalises each <c>-</c>-separated segment, which is why the names
/// below read <c>Msgid</c> and not <c>MsgId</c>.
/// </summary>
internal static class SqsdHeaders
{
    public const string AcceptEncoding = "Accept-Encoding";

    /// <summary>em-http's default, which sqsd 3.0.4 was captured sending.</summary>
    public const string AcceptEncodingValue = "gzip, compressed";

    private const string AttributePrefix = "X-aws-sqsd-attr-";

    /// <summary>The header carrying message attribute <paramref name="attributeName"/>, title-cased like em-http.</summary>
    public static string ForAttribute(string attributeName) => TitleCase(AttributePrefix + attributeName);

    /// <summary>
    /// Lower-cases <paramref name="headerName"/> and capitalises the first letter of each <c>-</c>-separated
    /// segment (Ruby's <c>String#capitalize</c> per segment): <c>isReverse</c> becomes <c>Isreverse</c>.
    /// </summary>
    public static string TitleCase(string headerName)
    {
        var chars = headerName.ToLowerInvariant().ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (i == 0 || chars[i - 1] == '-')
            {
                chars[i] = char.ToUpperInvariant(chars[i]);
            }
        }

        return new string(chars);
    }

    /// <summary>
    /// Formats an SQS epoch-milliseconds timestamp as Ruby's <c>Time#utc.iso8601</c> does: whole seconds
    /// (truncated), <c>Z</c> suffix. Null when the attribute is missing or not a number.
    /// </summary>
    public static string? FromEpochMilliseconds(string? epochMilliseconds)
        => long.TryParse(epochMilliseconds, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            ? Iso8601(DateTimeOffset.FromUnixTimeMilliseconds(milliseconds))
            : null;

    /// <summary><c>yyyy-MM-ddTHH:mm:ssZ</c> in UTC.</summary>
    public static string Iso8601(DateTimeOffset time)
        => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
