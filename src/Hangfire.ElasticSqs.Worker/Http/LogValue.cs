using System.Globalization;
using System.Text;

namespace Hangfire.ElasticSqs.Worker.Http;

/// <summary>
/// Makes an unsigned, client-controlled value (a header such as the message id or the task name) safe to log:
/// control and formatting characters become <c>?</c> (no forged log lines, no terminal escapes, no hidden
/// right-to-left text) and anything past <see cref="MaxLength"/> characters is cut, with the original length noted.
/// </summary>
internal static class LogValue
{
    /// <summary>Longer than any SQS message id (a UUID) or cron.yaml task name (64).</summary>
    public const int MaxLength = 128;

    public static string? Sanitize(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var length = Math.Min(value.Length, MaxLength);
        if (length == value.Length && !NeedsReplacement(value))
        {
            return value;
        }

        var builder = new StringBuilder(length + 24);
        for (var i = 0; i < length; i++)
        {
            builder.Append(IsUnsafe(value[i]) ? '?' : value[i]);
        }

        if (length < value.Length)
        {
            builder.Append(CultureInfo.InvariantCulture, $"…({value.Length} chars)");
        }

        return builder.ToString();
    }

    private static bool NeedsReplacement(string value)
    {
        foreach (var c in value)
        {
            if (IsUnsafe(c))
            {
                return true;
            }
        }

        return false;
    }

    // Control characters (CR, LF, ESC, DEL...), format characters (bidi overrides, zero-width), line/paragraph
    // separators, and lone surrogates.
    private static bool IsUnsafe(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate;
}
