namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Reads the block-style YAML subset that <c>cron.yaml</c> files are written in. Hand-written rather than
/// YamlDotNet (see <see cref="CronYamlWriter"/>): it mirrors sqsd's checks (version 1, three required keys,
/// unknown keys ignored) and refuses, with the line number, YAML it does not understand instead of guessing.
/// </summary>
internal static class CronYamlReader
{
    public static List<CronYamlTask> Read(string yaml)
    {
        var lines = CronYamlLine.Split(yaml);
        if (lines.Count == 0)
        {
            throw new FormatException("cron.yaml is empty; Elastic Beanstalk requires 'version: 1' and a 'cron' list.");
        }

        var top = lines[0].Indent;
        string? version = null;
        var versionLine = 0;
        List<CronYamlTask>? tasks = null;
        var next = 0;
        while (next < lines.Count)
        {
            var line = lines[next++];
            if (line.Indent != top || line.IsSequenceItem)
            {
                throw new FormatException($"cron.yaml line {line.Number}: unexpected indentation or list item; expected a top-level key such as 'version' or 'cron'.");
            }

            var (key, raw) = CronYamlScalar.SplitKeyValue(line.Text, line.Number);
            var nestedEnd = EndOfNested(lines, next, top);
            switch (key)
            {
                case "version":
                    version = ReadVersion(raw, line.Number);
                    versionLine = line.Number;
                    break;
                case "cron" when raw is "[]" || raw.StartsWith("[] ", StringComparison.Ordinal):
                    tasks = [];
                    break;
                case "cron":
                    tasks = ReadEntries(lines, next, nestedEnd, line.Number, CronYamlScalar.ReadValue(raw, line.Number));
                    break;
            }

            next = nestedEnd; // skips the nested lines of keys sqsd ignores, too
        }

        if (version is null)
        {
            throw new FormatException("cron.yaml has no 'version'; Elastic Beanstalk requires 'version: 1'.");
        }

        if (version != "1")
        {
            throw new FormatException($"cron.yaml line {versionLine}: version '{version}' is not supported; Elastic Beanstalk only accepts the number 1 (unquoted).");
        }

        return tasks ?? throw new FormatException("cron.yaml has no 'cron' list of tasks.");
    }

    private static string ReadVersion(string raw, int lineNumber)
    {
        // sqsd looks the version up as a YAML integer, so a quoted "1" (a string) is rejected there too.
        var value = CronYamlScalar.ReadValue(raw, lineNumber);
        return raw.Length > 0 && raw[0] is '"' or '\'' ? $"\"{value}\" (quoted)" : value ?? "(empty)";
    }

    /// <summary>The index after the lines nested under a key at <paramref name="parentIndent"/> (deeper lines, or a list at the same indent).</summary>
    private static int EndOfNested(List<CronYamlLine> lines, int start, int parentIndent)
    {
        var end = start;
        while (end < lines.Count && (lines[end].Indent > parentIndent || (lines[end].Indent == parentIndent && lines[end].IsSequenceItem)))
        {
            end++;
        }

        return end;
    }

    private static List<CronYamlTask> ReadEntries(List<CronYamlLine> lines, int start, int end, int cronLine, string? inlineValue)
    {
        if (inlineValue is not null || start == end || !lines[start].IsSequenceItem)
        {
            throw new FormatException($"cron.yaml line {cronLine}: 'cron' must be a list of entries ('- name: ...').");
        }

        var dashIndent = lines[start].Indent;
        var tasks = new List<CronYamlTask>();
        var firstLineByName = new Dictionary<string, int>(StringComparer.Ordinal);
        var next = start;
        while (next < end)
        {
            var item = lines[next];
            if (item.Indent != dashIndent || !item.IsSequenceItem)
            {
                throw new FormatException($"cron.yaml line {item.Number}: expected the next '- ' entry of the 'cron' list at column {dashIndent + 1}.");
            }

            var itemEnd = next + 1;
            while (itemEnd < end && lines[itemEnd].Indent > dashIndent)
            {
                itemEnd++;
            }

            var entry = CronYamlEntry.Read(lines, next, itemEnd, tasks.Count + 1);
            if (firstLineByName.TryGetValue(entry.Name, out var firstLine))
            {
                throw new FormatException($"cron.yaml line {item.Number}: entry {tasks.Count + 1} is named \"{entry.Name}\" like the entry at line {firstLine}; task names must be unique.");
            }

            firstLineByName.Add(entry.Name, item.Number);
            tasks.Add(entry);
            next = itemEnd;
        }

        return tasks;
    }
}
