using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>One measured case: the median of its rounds, and its ratio to the baseline measured in the same run.</summary>
internal sealed record Row(
    string Benchmark,
    string Case,
    string Server,
    double Median,
    string Unit,
    IReadOnlyList<double> Rounds,
    string Baseline,
    double? Ratio,
    string Notes = "");

/// <summary>A performance target, judged from the rows.</summary>
internal sealed record Target(string Name, string Measured, bool Pass);

/// <summary>Collects rows and targets; prints them and writes them as Markdown and JSON.</summary>
internal sealed class Report
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public List<Row> Rows { get; } = [];

    public List<Target> Targets { get; } = [];

    public List<string> Findings { get; } = [];

    public Row Add(string benchmark, string @case, string server, IReadOnlyList<double> rounds, string unit, Row? baseline, string notes = "", bool lowerIsBetter = false)
    {
        var median = Median(rounds);
        double? ratio = baseline is null ? null : lowerIsBetter ? median / baseline.Median : median / baseline.Median;
        var row = new Row(benchmark, @case, server, median, unit, rounds, baseline is null ? "(baseline)" : baseline.Case, ratio, notes);
        Rows.Add(row);
        Console.WriteLine($"  {row.Benchmark} | {row.Case} | {row.Server} | {Format(row.Median)} {row.Unit} | x{(row.Ratio is { } r ? r.ToString("0.00", Inv) : "-")} | rounds {string.Join(", ", rounds.Select(Format))} {notes}");
        return row;
    }

    public void Judge(string name, double value, double threshold, bool atLeast, string detail)
    {
        var pass = atLeast ? value >= threshold : value <= threshold;
        Targets.Add(new Target(name, detail, pass));
    }

    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static string Format(double value) => double.IsNaN(value) ? "n/a"
        : Math.Abs(value) >= 100 ? value.ToString("N0", Inv)
        : Math.Abs(value) >= 10 ? value.ToString("0.0", Inv)
        : value.ToString("0.00", Inv);

    public string ToMarkdown(string machine, TimeSpan duration)
    {
        var md = new StringBuilder();
        md.AppendLine(Inv, $"Machine: {machine}. Whole run: {duration.TotalSeconds:0} s. Each value is the median of its rounds; ratio = value / baseline of the same benchmark, same run.");
        md.AppendLine();
        md.AppendLine("| Benchmark | Case | SQS server | Median | Unit | Ratio | Baseline | Rounds | Notes |");
        md.AppendLine("|---|---|---|---:|---|---:|---|---|---|");
        foreach (var row in Rows)
        {
            md.AppendLine(Inv, $"| {row.Benchmark} | {row.Case} | {row.Server} | {Format(row.Median)} | {row.Unit} | {(row.Ratio is { } r ? r.ToString("0.00", Inv) + "×" : "—")} | {row.Baseline} | {string.Join(", ", row.Rounds.Select(Format))} | {row.Notes} |");
        }

        md.AppendLine();
        md.AppendLine("| Target | Measured | Result |");
        md.AppendLine("|---|---|---|");
        foreach (var target in Targets)
        {
            md.AppendLine(Inv, $"| {target.Name} | {target.Measured} | {(target.Pass ? "PASS" : "MISS")} |");
        }

        if (Findings.Count > 0)
        {
            md.AppendLine();
            foreach (var finding in Findings)
            {
                md.AppendLine(Inv, $"- {finding}");
            }
        }

        return md.ToString();
    }

    public void Print(string machine, TimeSpan duration)
    {
        Console.WriteLine();
        Console.WriteLine(ToMarkdown(machine, duration));
    }

    public void Write(string directory, string machine, TimeSpan duration)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "bench.md"), ToMarkdown(machine, duration));
        var json = JsonSerializer.Serialize(
            new { machine, durationSeconds = Math.Round(duration.TotalSeconds), date = DateTimeOffset.UtcNow, rows = Rows, targets = Targets, findings = Findings },
            Indented);
        File.WriteAllText(Path.Combine(directory, "bench.json"), json);
    }
}
