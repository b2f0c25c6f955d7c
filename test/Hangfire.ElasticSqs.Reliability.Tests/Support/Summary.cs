using System.Collections.Concurrent;
using System.Text;

namespace Hangfire.ElasticSqs.Reliability.Tests.Support;

/// <summary>The summary table printed at the end of the run: one row per scenario, with what was checked and the numbers.</summary>
public static class Summary
{
    private static readonly ConcurrentQueue<Row> Rows = new();

    public sealed record Row(string Scenario, string Checked, string Result, string Numbers);

    public static void Pass(string scenario, string checks, string numbers) => Rows.Enqueue(new(scenario, checks, "PASS", numbers));

    public static void Fail(string scenario, string checks, string numbers) => Rows.Enqueue(new(scenario, checks, "FAIL", numbers));

    public static bool Has(string scenario) => Rows.Any(r => r.Scenario == scenario);

    public static string Render(TimeSpan elapsed)
    {
        var rows = Rows.ToList();
        var widths = new[]
        {
            Math.Max(8, rows.Select(r => r.Scenario.Length).DefaultIfEmpty().Max()),
            Math.Min(90, Math.Max(7, rows.Select(r => r.Checked.Length).DefaultIfEmpty().Max())),
            6,
        };
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine($"Reliability summary ({rows.Count(r => r.Result == "PASS")} passed, {rows.Count(r => r.Result != "PASS")} failed, {elapsed.TotalSeconds:0} s)");
        var line = $"+-{new string('-', widths[0])}-+-{new string('-', widths[1])}-+-{new string('-', widths[2])}-+-{new string('-', 60)}";
        text.AppendLine(line);
        text.AppendLine($"| {"scenario".PadRight(widths[0])} | {"checked".PadRight(widths[1])} | {"result".PadRight(widths[2])} | numbers");
        text.AppendLine(line);
        foreach (var row in rows)
        {
            var checks = Wrap(row.Checked, widths[1]);
            for (var i = 0; i < checks.Count; i++)
            {
                text.AppendLine(i == 0
                    ? $"| {row.Scenario.PadRight(widths[0])} | {checks[i].PadRight(widths[1])} | {row.Result.PadRight(widths[2])} | {row.Numbers}"
                    : $"| {string.Empty.PadRight(widths[0])} | {checks[i].PadRight(widths[1])} | {string.Empty.PadRight(widths[2])} |");
            }
        }

        text.AppendLine(line);
        return text.ToString();
    }

    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var current = new StringBuilder();
        foreach (var word in text.Split(' '))
        {
            if (current.Length > 0 && current.Length + 1 + word.Length > width)
            {
                lines.Add(current.ToString());
                current.Clear();
            }

            current.Append(current.Length > 0 ? " " : string.Empty).Append(word);
        }

        lines.Add(current.ToString());
        return lines;
    }
}
