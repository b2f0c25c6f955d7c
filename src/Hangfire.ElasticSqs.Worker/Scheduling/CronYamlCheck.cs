using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Worker.Scheduling;

/// <summary>
/// What the start-up drift check and <c>elasticsqs cron-yaml --check</c> share: reading the registered recurring jobs,
/// locating and reading the deployed cron.yaml, and describing every difference by recurring job id.
/// </summary>
internal static class CronYamlCheck
{
    public const string RegenerateHint = "regenerate it with 'dotnet run -- elasticsqs cron-yaml' and deploy it at the root of the source bundle";

    /// <summary>The registered recurring jobs, as Hangfire's storage reports them (removed ones left out).</summary>
    public static IReadOnlyList<RecurringJobDto> RecurringJobs(JobStorage storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        using var connection = storage.GetConnection();
        return connection.GetRecurringJobs().Where(job => job is { Removed: false }).ToList();
    }

    /// <summary>A relative <paramref name="path"/> resolved against <paramref name="baseDirectory"/>.</summary>
    public static string Resolve(string path, string baseDirectory)
        => Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(baseDirectory, path));

    /// <summary>The deployed file, or null when it does not exist.</summary>
    /// <exception cref="FormatException">The file is not a valid cron.yaml.</exception>
    public static async Task<CronYamlFile?> ReadAsync(string fullPath, CancellationToken cancellationToken)
        => File.Exists(fullPath) ? CronYamlFile.Parse(await File.ReadAllTextAsync(fullPath, cancellationToken).ConfigureAwait(false)) : null;

    /// <summary>
    /// Every difference, ordered by task name. Tasks of the deployed file sent to another url than
    /// <paramref name="periodicTaskPath"/> and named after no recurring job belong to the application, not to
    /// Hangfire, and are not differences.
    /// </summary>
    /// <param name="deployed">The deployed file; null when there is none.</param>
    /// <param name="expected">The file generated from the registered recurring jobs.</param>
    /// <param name="recurringJobIds">The registered recurring job ids, to name jobs by their Hangfire id.</param>
    /// <param name="periodicTaskPath">The worker's periodic-task path.</param>
    /// <param name="fileName">How to name the deployed file in messages.</param>
    public static IReadOnlyList<CronYamlDifference> Compare(CronYamlFile? deployed, CronYamlFile expected, IEnumerable<string> recurringJobIds, string periodicTaskPath, string fileName)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var ids = CronYamlTaskNames.MapTaskNamesToRecurringJobIds(recurringJobIds);
        string JobOf(string taskName) => ids.GetValueOrDefault(taskName) ?? taskName;

        var differences = new List<CronYamlDifference>();
        if (deployed is null)
        {
            foreach (var task in expected.Tasks)
            {
                differences.Add(new(true, $"Recurring job '{JobOf(task.Name)}' is missing from cron.yaml: it will never run on Elastic Beanstalk. There is no {fileName}; {RegenerateHint}."));
            }

            return differences;
        }

        var deployedByName = deployed.Tasks.ToDictionary(task => task.Name, StringComparer.Ordinal);
        var expectedByName = expected.Tasks.ToDictionary(task => task.Name, StringComparer.Ordinal);
        foreach (var name in deployedByName.Keys.Union(expectedByName.Keys).Order(StringComparer.Ordinal))
        {
            var found = deployedByName.GetValueOrDefault(name);
            var wanted = expectedByName.GetValueOrDefault(name);
            if (found is null)
            {
                differences.Add(new(true, $"Recurring job '{JobOf(name)}' is missing from cron.yaml: it will never run on Elastic Beanstalk. {fileName} needs the task name \"{wanted!.Name}\", url \"{wanted.Url}\", schedule \"{wanted.Schedule}\"; {RegenerateHint}."));
            }
            else if (wanted is null)
            {
                if (string.Equals(found.Url, periodicTaskPath, StringComparison.Ordinal) || ids.ContainsKey(name))
                {
                    differences.Add(new(false, $"cron.yaml task '{name}' (schedule \"{found.Schedule}\", url \"{found.Url}\") in {fileName} matches no registered recurring job with a schedule: the worker answers it 404 and sqsd retries it until it expires; {RegenerateHint}."));
                }
            }
            else
            {
                if (Collapse(found.Schedule) != Collapse(wanted.Schedule))
                {
                    differences.Add(new(true, $"Recurring job '{JobOf(name)}' needs schedule \"{wanted.Schedule}\" (UTC) but cron.yaml task '{name}' in {fileName} has \"{found.Schedule}\": it runs at the wrong times on Elastic Beanstalk; {RegenerateHint}."));
                }

                if (!string.Equals(found.Url, wanted.Url, StringComparison.Ordinal))
                {
                    differences.Add(new(true, $"Recurring job '{JobOf(name)}' is missing from cron.yaml at its url: task '{name}' in {fileName} is sent to \"{found.Url}\", but the worker's periodic-task path is \"{wanted.Url}\", so it will never run on Elastic Beanstalk; {RegenerateHint}."));
                }
            }
        }

        return differences;
    }

    private static string Collapse(string schedule) =>
        string.Join(' ', schedule.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
}
