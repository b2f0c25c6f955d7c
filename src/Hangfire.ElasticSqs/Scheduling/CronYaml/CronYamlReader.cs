using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Reads <c>cron.yaml</c> with YamlDotNet, then applies sqsd's own checks: <c>version</c> is the integer 1, <c>cron</c>
/// is a list of entries that each have a non-empty <c>name</c>, <c>url</c> and <c>schedule</c>, names are unique, and
/// unknown keys are ignored. Every refusal names the line and the problem.
/// </summary>
internal static class CronYamlReader
{
    private static readonly string[] RequiredKeys = ["name", "url", "schedule"];

    public static List<CronYamlTask> Read(string yaml)
    {
        var root = Load(yaml);
        if (root is null)
        {
            throw new FormatException("cron.yaml is empty; Elastic Beanstalk requires 'version: 1' and a 'cron' list.");
        }

        if (root is not YamlMappingNode top)
        {
            throw new FormatException($"cron.yaml line {Line(root)}: expected top-level keys such as 'version' and 'cron'.");
        }

        CheckVersion(top);
        var cron = Child(top, "cron") ?? throw new FormatException("cron.yaml has no 'cron' list of tasks.");
        if (cron is not YamlSequenceNode entries)
        {
            throw new FormatException($"cron.yaml line {Line(cron)}: 'cron' must be a list of entries ('- name: ...').");
        }

        var tasks = new List<CronYamlTask>();
        var firstLineByName = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var node in entries)
        {
            var entryNumber = tasks.Count + 1;
            var task = ReadEntry(node, entryNumber);
            if (firstLineByName.TryGetValue(task.Name, out var firstLine))
            {
                throw new FormatException($"cron.yaml line {Line(node)}: entry {entryNumber} is named \"{task.Name}\" like the entry at line {firstLine}; task names must be unique.");
            }

            firstLineByName.Add(task.Name, Line(node));
            tasks.Add(task);
        }

        return tasks;
    }

    private static YamlNode? Load(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException exception)
        {
            // Duplicate keys are refused here too: sqsd's parser refuses them.
            throw new FormatException($"cron.yaml line {exception.Start.Line}: {exception.InnerException?.Message ?? exception.Message}", exception);
        }

        if (stream.Documents.Count > 1)
        {
            throw new FormatException($"cron.yaml line {Line(stream.Documents[1].RootNode)}: a second YAML document; Elastic Beanstalk reads only one.");
        }

        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
    }

    private static void CheckVersion(YamlMappingNode top)
    {
        var version = Child(top, "version") ?? throw new FormatException("cron.yaml has no 'version'; Elastic Beanstalk requires 'version: 1'.");

        // sqsd looks the version up as a YAML integer, so a quoted "1" (a string) is refused there too.
        if (version is not YamlScalarNode { Value: var value } scalar || scalar.Style is not ScalarStyle.Plain || value != "1")
        {
            var shown = version is YamlScalarNode { Value: { } text } quoted
                ? quoted.Style is ScalarStyle.Plain ? text : $"\"{text}\" (quoted)"
                : "(not a number)";
            throw new FormatException($"cron.yaml line {Line(version)}: version '{shown}' is not supported; Elastic Beanstalk only accepts the number 1 (unquoted).");
        }
    }

    private static CronYamlTask ReadEntry(YamlNode node, int entryNumber)
    {
        if (node is not YamlMappingNode entry)
        {
            throw new FormatException($"cron.yaml line {Line(node)}: entry {entryNumber} must be a mapping with name, url and schedule.");
        }

        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var key in RequiredKeys)
        {
            switch (Child(entry, key))
            {
                case null:
                    break;
                case YamlScalarNode scalar:
                    values[key] = scalar.Value;
                    break;
                case var other:
                    throw new FormatException($"cron.yaml line {Line(other)}: entry {entryNumber} has a nested value for '{key}'; write it as 'key: value'.");
            }
        }

        var missing = RequiredKeys.Where(key => string.IsNullOrEmpty(values.GetValueOrDefault(key))).ToList();
        if (missing.Count > 0)
        {
            var name = values.GetValueOrDefault("name");
            var label = string.IsNullOrEmpty(name) ? string.Empty : $" (\"{name}\")";
            throw new FormatException($"cron.yaml line {Line(entry)}: entry {entryNumber}{label} has no {string.Join(", ", missing.Select(key => $"'{key}'"))}; every entry needs name, url and schedule.");
        }

        return new CronYamlTask(values["name"]!, values["url"]!, values["schedule"]!);
    }

    private static YamlNode? Child(YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static long Line(YamlNode node) => node.Start.Line;
}
