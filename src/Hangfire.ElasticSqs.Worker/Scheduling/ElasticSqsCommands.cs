using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Hangfire.ElasticSqs.Worker;
using Hangfire.ElasticSqs.Worker.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Hangfire;

/// <summary>
/// Command-line tools an application opts into, run by the application itself so that they see its registered
/// recurring jobs: <c>dotnet run -- elasticsqs cron-yaml [--output cron.yaml] [--path /periodic-tasks] [--check]</c>.
/// </summary>
/// <remarks>
/// Call <see cref="TryRunElasticSqsCommandAsync"/> after the recurring jobs are registered and before the
/// application runs:
/// <code>
/// var app = builder.Build();
/// RecurringJob.AddOrUpdate("nightly-report", () => Reports.Nightly(), Cron.Daily());
/// if (await app.TryRunElasticSqsCommandAsync(args))
/// {
///     return; // the command ran; Environment.ExitCode holds its result
/// }
///
/// app.Run();
/// </code>
/// The command does not start the host (no server, no Kestrel); it only reads the recurring jobs from the
/// configured Hangfire storage, so that storage must hold the registrations made above (they are written to it by
/// <c>RecurringJob.AddOrUpdate</c>).
/// </remarks>
public static class ElasticSqsCommands
{
    /// <summary>The first argument that selects these commands.</summary>
    public const string CommandName = "elasticsqs";

    /// <summary>Exit code of a command that succeeded.</summary>
    public const int Success = 0;

    /// <summary>Exit code when cron.yaml cannot be generated, or <c>--check</c> found drift.</summary>
    public const int Failure = 1;

    /// <summary>Exit code of a command line that could not be understood.</summary>
    public const int UsageError = 2;

    private const string Usage = """
        Usage: elasticsqs cron-yaml [--output <file>|-] [--path <periodic-task path>] [--check]

          Writes the Elastic Beanstalk cron.yaml from the registered Hangfire recurring jobs.
          --output  the file to write or check (default: cron.yaml in the current directory); '-' writes to standard output
          --path    the url of every task, the worker's periodic-task path (default: ElasticSqsWorkerOptions.PeriodicTaskPath)
          --check   compares the existing file with the registrations instead of writing it, and fails listing every difference
        """;

    /// <summary>Whether <paramref name="args"/> select one of these commands (the first argument is <see cref="CommandName"/>).</summary>
    /// <param name="args">The application's command-line arguments.</param>
    /// <returns>True when the first argument is <see cref="CommandName"/>.</returns>
    public static bool IsCommand(IReadOnlyList<string> args)
        => args is { Count: > 0 } && string.Equals(args[0], CommandName, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Runs the command selected by <paramref name="args"/>, if any, writing to the console and setting
    /// <see cref="Environment.ExitCode"/> to its result. Call it after the recurring jobs are registered
    /// (after <c>app.Build()</c> and the <c>RecurringJob.AddOrUpdate</c> calls) and before <c>app.Run()</c>.
    /// </summary>
    /// <param name="host">The built application; it is not started.</param>
    /// <param name="args">The application's command-line arguments.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>True when the arguments selected a command and it ran (the application should then exit); false otherwise.</returns>
    public static async Task<bool> TryRunElasticSqsCommandAsync(this IHost host, string[] args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(args);
        if (!IsCommand(args))
        {
            return false;
        }

        Environment.ExitCode = await RunAsync(host.Services, args, Console.Out, Console.Error, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Runs the command selected by <paramref name="args"/> and returns its exit code.</summary>
    /// <param name="services">The application's services; the Hangfire <see cref="JobStorage"/> is read from them.</param>
    /// <param name="args">The arguments, starting with <see cref="CommandName"/>.</param>
    /// <param name="output">Where results go.</param>
    /// <param name="error">Where problems go: each generation problem or difference on its own line.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns><see cref="Success"/>, <see cref="Failure"/> or <see cref="UsageError"/>.</returns>
    public static async Task<int> RunAsync(IServiceProvider services, IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (!IsCommand(args))
        {
            await error.WriteLineAsync($"The first argument must be '{CommandName}'.\n{Usage}").ConfigureAwait(false);
            return UsageError;
        }

        if (args.Count < 2 || args[1] is "help" or "--help" or "-h")
        {
            await (args.Count < 2 ? error : output).WriteLineAsync(Usage).ConfigureAwait(false);
            return args.Count < 2 ? UsageError : Success;
        }

        if (!string.Equals(args[1], "cron-yaml", StringComparison.Ordinal))
        {
            await error.WriteLineAsync($"Unknown command '{args[1]}'.\n{Usage}").ConfigureAwait(false);
            return UsageError;
        }

        var workerOptions = services.GetService<IOptions<ElasticSqsWorkerOptions>>()?.Value ?? new ElasticSqsWorkerOptions();
        var outputPath = "cron.yaml";
        var periodicTaskPath = workerOptions.PeriodicTaskPath;
        var check = false;
        for (var i = 2; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--output" or "-o" when i + 1 < args.Count:
                    outputPath = args[++i];
                    break;
                case "--path" when i + 1 < args.Count:
                    periodicTaskPath = args[++i];
                    break;
                case "--check":
                    check = true;
                    break;
                case "--help" or "-h":
                    await output.WriteLineAsync(Usage).ConfigureAwait(false);
                    return Success;
                default:
                    await error.WriteLineAsync($"Unknown or incomplete option '{args[i]}'.\n{Usage}").ConfigureAwait(false);
                    return UsageError;
            }
        }

        if (workerOptions.RecurringJobScheduler == RecurringJobSchedulerMode.Hangfire)
        {
            await error.WriteLineAsync("ElasticSqsWorkerOptions.RecurringJobScheduler is Hangfire: Hangfire's own scheduler triggers the recurring jobs, and cron.yaml must not schedule them too (the worker refuses periodic tasks in that mode).").ConfigureAwait(false);
            return Failure;
        }

        var storage = services.GetRequiredService<JobStorage>();
        var recurringJobs = CronYamlCheck.RecurringJobs(storage);
        CronYamlFile expected;
        try
        {
            expected = CronYamlGenerator.Generate(recurringJobs, periodicTaskPath, services.GetService<ITimeZoneResolver>());
        }
        catch (CronYamlGenerationException exception)
        {
            await error.WriteLineAsync($"cron.yaml cannot be generated: {exception.Problems.Count} recurring job problem(s).").ConfigureAwait(false);
            foreach (var problem in exception.Problems)
            {
                await error.WriteLineAsync(" - " + problem).ConfigureAwait(false);
            }

            return Failure;
        }
        catch (ArgumentException exception)
        {
            await error.WriteLineAsync(exception.Message).ConfigureAwait(false);
            return UsageError;
        }

        if (check)
        {
            return await CheckAsync(outputPath, periodicTaskPath, expected, recurringJobs.Select(job => job.Id), output, error, cancellationToken).ConfigureAwait(false);
        }

        var yaml = expected.ToYaml();
        if (outputPath == "-")
        {
            await output.WriteAsync(yaml).ConfigureAwait(false);
            return Success;
        }

        var fullPath = CronYamlCheck.Resolve(outputPath, Directory.GetCurrentDirectory());
        await File.WriteAllTextAsync(fullPath, yaml, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"Wrote {fullPath}: {expected.Tasks.Count} periodic task(s) from {recurringJobs.Count} recurring job(s), sent to {periodicTaskPath}.").ConfigureAwait(false);
        return Success;
    }

    private static async Task<int> CheckAsync(string outputPath, string periodicTaskPath, CronYamlFile expected, IEnumerable<string> recurringJobIds, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (outputPath == "-")
        {
            await error.WriteLineAsync("--check needs a file to check, not '-'.").ConfigureAwait(false);
            return UsageError;
        }

        var fullPath = CronYamlCheck.Resolve(outputPath, Directory.GetCurrentDirectory());
        CronYamlFile? deployed;
        try
        {
            deployed = await CronYamlCheck.ReadAsync(fullPath, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException exception)
        {
            await error.WriteLineAsync($"{fullPath} is not a valid cron.yaml: {exception.Message}").ConfigureAwait(false);
            return Failure;
        }

        var differences = CronYamlCheck.Compare(deployed, expected, recurringJobIds, periodicTaskPath, fullPath);
        if (deployed is null && expected.Tasks.Count == 0)
        {
            await output.WriteLineAsync($"No recurring job has a schedule and there is no {fullPath}: nothing to check.").ConfigureAwait(false);
            return Success;
        }

        if (differences.Count == 0)
        {
            await output.WriteLineAsync($"{fullPath} matches the {expected.Tasks.Count} scheduled recurring job(s).").ConfigureAwait(false);
            return Success;
        }

        await error.WriteLineAsync($"{fullPath} differs from the registered recurring jobs ({differences.Count} difference(s)):").ConfigureAwait(false);
        foreach (var difference in differences)
        {
            await error.WriteLineAsync(" - " + difference.Message).ConfigureAwait(false);
        }

        return Failure;
    }
}
