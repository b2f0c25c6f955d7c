using System.Globalization;
using System.Text;

namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Reads the one-line YAML scalars <c>cron.yaml</c> uses: plain, <c>'single'</c> and <c>"double"</c> quoted,
/// with an optional trailing comment. Anything richer is refused with a clear message rather than guessed at.
/// </summary>
internal static class CronYamlScalar
{
    /// <summary>Splits <c>key: value</c>; the value is the raw text after the colon (may be empty).</summary>
    public static (string Key, string RawValue) SplitKeyValue(string text, int lineNumber)
    {
        if (text[0] is '{' or '[' or '?' or '&' or '*' or '!')
        {
            throw Error(lineNumber, $"'{text}' uses YAML syntax this reader does not support (flow collections, complex keys, anchors, tags); write one 'key: value' per line.");
        }

        int colon;
        string key;
        if (text[0] is '"' or '\'')
        {
            var (quotedKey, end) = ReadQuoted(text, lineNumber);
            key = quotedKey;
            colon = end;
            if (colon >= text.Length || text[colon] != ':')
            {
                throw Error(lineNumber, "expected ':' after the quoted key.");
            }
        }
        else
        {
            colon = FindMappingColon(text);
            if (colon < 0)
            {
                throw Error(lineNumber, $"expected 'key: value' but found '{text}'.");
            }

            key = text[..colon].TrimEnd();
        }

        if (colon + 1 < text.Length && text[colon + 1] != ' ')
        {
            throw Error(lineNumber, "expected a space after ':'.");
        }

        return (key, text[(colon + 1)..].Trim(' '));
    }

    /// <summary>The scalar's value, or null for an empty value, <c>~</c> or <c>null</c>.</summary>
    public static string? ReadValue(string raw, int lineNumber)
    {
        if (raw.Length == 0 || raw[0] == '#')
        {
            return null;
        }

        if (raw[0] is '"' or '\'')
        {
            var (value, end) = ReadQuoted(raw, lineNumber);
            var rest = raw[end..].TrimStart(' ');
            if (rest.Length > 0 && rest[0] != '#')
            {
                throw Error(lineNumber, $"unexpected text '{rest}' after the closing quote.");
            }

            return value;
        }

        if (raw[0] is '|' or '>' or '{' or '[' or '&' or '*' or '!' or '@' or '`')
        {
            throw Error(lineNumber, $"the value '{raw}' uses YAML syntax this reader does not support (block scalars, flow collections, anchors, tags); write it on one line, quoted if needed.");
        }

        var comment = raw.IndexOf(" #", StringComparison.Ordinal);
        var plain = (comment < 0 ? raw : raw[..comment]).TrimEnd(' ');
        return plain is "~" or "null" or "Null" or "NULL" ? null : plain;
    }

    private static int FindMappingColon(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ':' && (i + 1 == text.Length || text[i + 1] == ' '))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Reads a quoted scalar starting at index 0; returns its value and the index after the closing quote.</summary>
    private static (string Value, int End) ReadQuoted(string text, int lineNumber)
    {
        var quote = text[0];
        var value = new StringBuilder();
        for (var i = 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == quote)
            {
                if (quote == '\'' && i + 1 < text.Length && text[i + 1] == '\'')
                {
                    value.Append('\'');
                    i++;
                    continue;
                }

                return (value.ToString(), i + 1);
            }

            if (c == '\\' && quote == '"')
            {
                i = AppendEscape(text, i, value, lineNumber);
                continue;
            }

            value.Append(c);
        }

        throw Error(lineNumber, $"the quoted value has no closing {quote} on this line (multi-line quoted values are not supported).");
    }

    private static int AppendEscape(string text, int backslash, StringBuilder value, int lineNumber)
    {
        if (backslash + 1 >= text.Length)
        {
            throw Error(lineNumber, "a double-quoted value ends with a lone backslash.");
        }

        var code = text[backslash + 1];
        var simple = code switch
        {
            '0' => "\0", 'a' => "\a", 'b' => "\b", 't' => "\t", '\t' => "\t", 'n' => "\n", 'v' => "\v",
            'f' => "\f", 'r' => "\r", 'e' => "\u001B", ' ' => " ", '"' => "\"", '/' => "/", '\\' => "\\",
            'N' => "\u0085", '_' => "\u00A0", 'L' => "\u2028", 'P' => "\u2029",
            _ => null,
        };
        if (simple is not null)
        {
            value.Append(simple);
            return backslash + 1;
        }

        var digits = code switch { 'x' => 2, 'u' => 4, 'U' => 8, _ => 0 };
        if (digits == 0 || backslash + 1 + digits >= text.Length
            || !int.TryParse(text.AsSpan(backslash + 2, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var codePoint))
        {
            throw Error(lineNumber, $"invalid escape sequence '\\{code}' in a double-quoted value.");
        }

        if (digits == 4)
        {
            value.Append((char)codePoint); // lets a \uD83D\uDE00 surrogate pair through unchanged
        }
        else if (codePoint <= 0x10FFFF && codePoint is < 0xD800 or > 0xDFFF)
        {
            value.Append(char.ConvertFromUtf32(codePoint));
        }
        else
        {
            throw Error(lineNumber, $"'\\{code}' escapes an invalid code point.");
        }

        return backslash + 1 + digits;
    }

    private static FormatException Error(int lineNumber, string problem) => new($"cron.yaml line {lineNumber}: {problem}");
}
