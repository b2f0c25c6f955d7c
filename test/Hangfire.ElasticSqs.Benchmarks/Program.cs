using System.Diagnostics;
using System.Globalization;
using Hangfire.Logging;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>Sizes of the run (a full run fits in about ten minutes on 2 vCPUs; --quick is a smoke run).</summary>
internal sealed class Settings
{
    public bool Quick { get; init; }

    public int Rounds { get; init; } = 5;

    public int MotoRounds { get; init; } = 3;

    public TimeSpan RoundTime { get; init; } = TimeSpan.FromSeconds(1);

    public bool SkipMoto { get; init; }

    public int WorkerCount { get; init; } = 10;

    public int ExecutionJobs { get; init; } = 5000;

    public int PostgresJobs { get; init; } = 1500;

    public int PostgresRounds { get; init; } = 5;

    public int LatencyJobs { get; init; } = 300;

    public int SaturationJobs { get; init; } = 10_000;

    /// <summary>Counted rounds of the poll-mode saturation run (plus one warm-up round unless quick).</summary>
    public int SaturationRounds { get; init; } = 2;

    public int MemorySmall { get; init; } = 10_000;

    public int MemoryLarge { get; init; } = 100_000;

    public HashSet<string> Only { get; init; } = [];

    public bool Runs(string name) => Only.Count == 0 || Only.Contains(name);

    public static Settings Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        var skipMoto = args.Contains("--skip-moto");
        var only = args.FirstOrDefault(a => a.StartsWith("--only=", StringComparison.Ordinal))?["--only=".Length..]
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        return quick
            ? new Settings
            {
                Quick = true,
                Rounds = 3,
                MotoRounds = 2,
                RoundTime = TimeSpan.FromMilliseconds(500),
                ExecutionJobs = 1000,
                PostgresJobs = 300,
                PostgresRounds = 2,
                LatencyJobs = 50,
                SaturationJobs = 2_000,
                SaturationRounds = 1,
                MemorySmall = 2_000,
                MemoryLarge = 10_000,
                Only = [.. only],
                SkipMoto = skipMoto,
            }
            : new Settings { Only = [.. only], SkipMoto = skipMoto };
    }
}

/// <summary>Runs the benchmarks (docs/performance.md) and writes artifacts/bench/bench.md and bench.json.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Contains("--check-standin"))
        {
            return await StandInCheck.RunAsync();
        }

        var settings = Settings.Parse(args);
        LogProvider.SetCurrentLogProvider(SilentLogProvider.Instance);
        StateTimer.Register();
        var machine = Machine();
        Console.WriteLine($"Hangfire.ElasticSqs benchmarks on {machine}{(settings.Quick ? " (quick)" : string.Empty)}");
        var report = new Report();
        var total = Stopwatch.StartNew();
        var steps = new (string Name, Func<Report, Settings, Task> Run)[]
        {
            // Memory first: the process holds nothing from the other benchmarks yet, so absolute figures mean something.
            ("memory", MemoryBenchmark.RunAsync),
            ("enqueue", EnqueueBenchmark.RunAsync),
            ("profile", EnqueueProfile.RunAsync),
            ("inmemory", ExecutionBenchmarks.RunInMemoryAsync),
            ("postgres", ExecutionBenchmarks.RunPostgreSqlAsync),
            ("latency", LatencyBenchmark.RunAsync),
            ("lambda", LambdaBenchmark.RunAsync),
            ("poll", PollModeBenchmark.RunAsync),
            ("roundtrips", RoundTripBenchmark.RunAsync),
        };
        var failed = false;
        foreach (var (name, run) in steps.Where(s => settings.Runs(s.Name)))
        {
            var watch = Stopwatch.StartNew();
            try
            {
                await run(report, settings);
            }
#pragma warning disable CA1031 // A benchmark that cannot run is reported, and the others still run.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failed = true;
                report.Findings.Add($"Benchmark '{name}' did not complete: {ex.GetType().Name}: {ex.Message}");
                Console.WriteLine(ex);
            }

            Console.WriteLine($"   ({name}: {watch.Elapsed.TotalSeconds:0} s)");
        }

        total.Stop();
        report.Print(machine, total.Elapsed);
        var directory = Path.Combine(RepositoryRoot(), "artifacts", "bench");
        report.Write(directory, machine, total.Elapsed);
        foreach (var target in report.Targets)
        {
            Console.WriteLine($"{(target.Pass ? "PASS" : "MISS")}  {target.Name}: {target.Measured}");
        }

        Console.WriteLine($"Written to {directory}/bench.md and bench.json");
        return failed ? 1 : 0;
    }

    private static string Machine()
    {
        var model = "unknown CPU";
        try
        {
            model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? model;
        }
        catch (IOException)
        {
        }

        return string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} vCPU {model}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Hangfire.ElasticSqs.sln")))
            {
                return directory.FullName;
            }
        }

        return Environment.CurrentDirectory;
    }
}
