namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>Reads one <c>- name/url/schedule</c> entry of the <c>cron</c> list, keys in any order.</summary>
internal static class CronYamlEntry
{
    private static readonly string[] RequiredKeys = ["name", "url", "schedule"];

    public static CronYamlTask Read(List<CronYamlLine> lines, int start, int end, int entryNumber)
    {
        var dashLine = lines[start];
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var (firstText, keyColumn) = dashLine.AfterDash();
        var pending = new List<CronYamlLine>();
        if (firstText.Length > 0 && firstText[0] != '#')
        {
            pending.Add(new CronYamlLine(dashLine.Number, keyColumn, firstText));
        }
        else if (start + 1 < end)
        {
            keyColumn = lines[start + 1].Indent; // "-" alone, keys on the following lines
        }

        pending.AddRange(lines.Skip(start + 1).Take(end - start - 1));
        string? lastKey = null;
        foreach (var line in pending)
        {
            if (line.Indent > keyColumn && lastKey is not null && !RequiredKeys.Contains(lastKey))
            {
                continue; // nested content of a key sqsd ignores
            }

            if (line.Indent != keyColumn || line.IsSequenceItem)
            {
                throw new FormatException($"cron.yaml line {line.Number}: entry {entryNumber} has unexpected indentation or a nested value; write each key on its own line as 'key: value'.");
            }

            var (key, raw) = CronYamlScalar.SplitKeyValue(line.Text, line.Number);
            if (!values.TryAdd(key, CronYamlScalar.ReadValue(raw, line.Number)))
            {
                throw new FormatException($"cron.yaml line {line.Number}: entry {entryNumber} has '{key}' twice.");
            }

            lastKey = key;
        }

        var missing = RequiredKeys.Where(key => string.IsNullOrEmpty(values.GetValueOrDefault(key))).ToList();
        if (missing.Count > 0)
        {
            var name = values.GetValueOrDefault("name");
            var label = string.IsNullOrEmpty(name) ? string.Empty : $" (\"{name}\")";
            throw new FormatException($"cron.yaml line {dashLine.Number}: entry {entryNumber}{label} has no {string.Join(", ", missing.Select(key => $"'{key}'"))}; every entry needs name, url and schedule.");
        }

        return new CronYamlTask(values["name"]!, values["url"]!, values["schedule"]!);
    }
}
