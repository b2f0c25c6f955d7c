using Hangfire.ElasticSqs.Commands;
using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Hangfire.ElasticSqs.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.Worker.Scheduling;

/// <summary>
/// <c>elasticsqs cron-yaml [--output cron.yaml] [--path /periodic-tasks] [--check]</c>: writes or checks the Elastic
/// Beanstalk cron.yaml from the registered recurring jobs. It reads them from the configured Hangfire storage, so it
/// runs after the <c>RecurringJob.AddOrUpdate</c> calls.
/// </summary>
internal sealed class CronYamlCommand : IElasticSqsCommand
{
    private const int Success = ElasticSqsCommands.Success;
    private const int Failure = ElasticSqsCommands.Failure;
    private const int UsageError = ElasticSqsCommands.UsageError;

    private const string Usage = """
          elasticsqs cron-yaml [--output <file>|-] [--path <periodic-task path>] [--check]

            Writes the Elastic Beanstalk cron.yaml from the registered Hangfire recurring jobs.
            --output  the file to write or check (default: cron.yaml in the current directory); '-' writes to standard output
            --path    the url of every task, the worker's periodic-task path (default: ElasticSqsWorkerOptions.PeriodicTaskPath)
            --check   compares the existing file with the registrations instead of writing it, and fails listing every difference
        """;

    public string Name => "cron-yaml";

    string IElasticSqsCommand.Usage => Usage;

    public async Task<int> RunAsync(CommandContext context)
    {
        var services = context.Services;
        var args = context.Arguments;
        var output = context.Output;
        var error = context.Error;
        var cancellationToken = context.CancellationToken;
        var workerOptions = services.GetService<IOptions<ElasticSqsWorkerOptions>>()?.Value ?? new ElasticSqsWorkerOptions();
        var outputPath = "cron.yaml";
        var periodicTaskPath = workerOptions.PeriodicTaskPath;
        var check = false;
        for (var i = 0; i < args.Count; i++)
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
