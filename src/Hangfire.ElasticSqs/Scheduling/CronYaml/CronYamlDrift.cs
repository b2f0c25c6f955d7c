namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Compares the deployed <c>cron.yaml</c> with the one generated from the registered recurring jobs, so the
/// worker can log every difference at start-up: a job missing from the deployed file never runs on Elastic Beanstalk.
/// </summary>
public static class CronYamlDrift
{
    /// <summary>Lists the differences, one sentence each, ordered by task name.</summary>
    /// <param name="deployed">The <c>cron.yaml</c> found in the application bundle.</param>
    /// <param name="expected">The file <see cref="CronYamlGenerator"/> produces for the registered jobs.</param>
    /// <returns>No entries when the files schedule the same tasks (schedules compared with whitespace collapsed).</returns>
    public static IReadOnlyList<string> Compare(CronYamlFile deployed, CronYamlFile expected)
    {
        ArgumentNullException.ThrowIfNull(deployed);
        ArgumentNullException.ThrowIfNull(expected);
        var deployedByName = deployed.Tasks.ToDictionary(task => task.Name, StringComparer.Ordinal);
        var expectedByName = expected.Tasks.ToDictionary(task => task.Name, StringComparer.Ordinal);
        var differences = new List<string>();
        foreach (var name in deployedByName.Keys.Union(expectedByName.Keys).Order(StringComparer.Ordinal))
        {
            var found = deployedByName.GetValueOrDefault(name);
            var wanted = expectedByName.GetValueOrDefault(name);
            if (found is null)
            {
                differences.Add($"Task '{name}' (schedule '{wanted!.Schedule}', url '{wanted.Url}') is missing from the deployed cron.yaml: its recurring job never runs on Elastic Beanstalk.");
            }
            else if (wanted is null)
            {
                differences.Add($"Task '{name}' (schedule '{found.Schedule}', url '{found.Url}') in the deployed cron.yaml matches no registered recurring job.");
            }
            else
            {
                if (Collapse(found.Schedule) != Collapse(wanted.Schedule))
                {
                    differences.Add($"Task '{name}' has schedule '{found.Schedule}' in the deployed cron.yaml, but its recurring job needs '{wanted.Schedule}' (UTC).");
                }

                if (!string.Equals(found.Url, wanted.Url, StringComparison.Ordinal))
                {
                    differences.Add($"Task '{name}' is sent to url '{found.Url}' in the deployed cron.yaml, but the worker expects '{wanted.Url}'.");
                }
            }
        }

        return differences;
    }

    private static string Collapse(string schedule) =>
        string.Join(' ', schedule.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
}
