using System.Globalization;
using System.Text;

namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Emits <c>cron.yaml</c>. Hand-written rather than YamlDotNet's emitter: the format is three string keys per
/// entry, and owning the few lines keeps the output byte-stable across library versions.
/// </summary>
internal static class CronYamlWriter
{
    public static string Write(IReadOnlyList<CronYamlTask> sortedTasks)
    {
        var yaml = new StringBuilder();
        yaml.Append("version: ").Append(CronYamlFile.SupportedVersion.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (sortedTasks.Count == 0)
        {
            // A bare "cron:" would be YAML null; an explicit empty list is unambiguous.
            return yaml.Append("cron: []\n").ToString();
        }

        yaml.Append("cron:\n");
        foreach (var task in sortedTasks)
        {
            yaml.Append("  - name: ").Append(Quote(task.Name)).Append('\n');
            yaml.Append("    url: ").Append(Quote(task.Url)).Append('\n');
            yaml.Append("    schedule: ").Append(Quote(task.Schedule)).Append('\n');
        }

        return yaml.ToString();
    }

    /// <summary>A YAML double-quoted scalar; everything outside printable ASCII is escaped so the file is pure ASCII.</summary>
    internal static string Quote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case '\n': quoted.Append("\\n"); break;
                case '\r': quoted.Append("\\r"); break;
                case '\t': quoted.Append("\\t"); break;
                case >= ' ' and <= '~': quoted.Append(c); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        var codePoint = char.ConvertToUtf32(c, value[++i]);
                        quoted.Append("\\U").Append(codePoint.ToString("X8", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        quoted.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    }

                    break;
            }
        }

        return quoted.Append('"').ToString();
    }
}
