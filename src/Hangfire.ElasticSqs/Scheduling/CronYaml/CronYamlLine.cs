namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>A non-blank, non-comment line of <c>cron.yaml</c>: its 1-based number, indentation and text after the indentation.</summary>
internal readonly record struct CronYamlLine(int Number, int Indent, string Text)
{
    public bool IsSequenceItem => Text == "-" || Text.StartsWith("- ", StringComparison.Ordinal);

    /// <summary>The text after the <c>- </c> marker, and the column at which it starts.</summary>
    public (string Text, int Column) AfterDash()
    {
        var rest = Text.Length > 1 ? Text[1..] : string.Empty;
        var trimmed = rest.TrimStart(' ');
        return (trimmed, Indent + 1 + (rest.Length - trimmed.Length));
    }

    public static List<CronYamlLine> Split(string yaml)
    {
        var lines = new List<CronYamlLine>();
        var raw = yaml.TrimStart('\uFEFF').Split('\n');
        for (var i = 0; i < raw.Length; i++)
        {
            var text = raw[i].TrimEnd('\r').TrimEnd(' ', '\t');
            var body = text.TrimStart(' ');
            if (body.Length == 0 || body[0] == '#')
            {
                continue;
            }

            if (body[0] == '\t')
            {
                throw new FormatException($"cron.yaml line {i + 1}: YAML does not allow tabs in indentation.");
            }

            if (body.StartsWith('%') || body == "---")
            {
                continue; // directives and the document start marker carry no data
            }

            if (body == "...")
            {
                break; // document end marker
            }

            lines.Add(new CronYamlLine(i + 1, text.Length - body.Length, body));
        }

        return lines;
    }
}
