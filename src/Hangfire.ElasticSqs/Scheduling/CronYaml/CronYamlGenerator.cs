using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Builds <c>cron.yaml</c> from the registered Hangfire recurring jobs: one task per job, named by
/// <see cref="CronYamlTaskNames.ToTaskName"/>, sent to the periodic-task path, scheduled by the exact UTC
/// translation from <see cref="SqsdCronExpression.Translate"/>.
/// </summary>
/// <remarks>
/// Jobs whose schedule never fires (<c>Cron.Never()</c>, used for jobs only triggered by hand) get no task.
/// Jobs Hangfire reports as removed are skipped.
/// </remarks>
internal static class CronYamlGenerator
{
    /// <summary>The periodic-task path used when none is given.</summary>
    public const string DefaultPeriodicTaskPath = "/periodic-tasks";

    /// <summary>Generates <c>cron.yaml</c> from Hangfire's storage view of the recurring jobs.</summary>
    /// <param name="recurringJobs">Typically <c>connection.GetRecurringJobs()</c>.</param>
    /// <param name="periodicTaskPath">The path sqsd POSTs periodic tasks to; must start with <c>/</c>.</param>
    /// <param name="timeZoneResolver">Resolves each job's <c>TimeZoneId</c>; Hangfire's default resolver when null.</param>
    /// <returns>The file, tasks sorted by name.</returns>
    /// <exception cref="CronYamlGenerationException">Some jobs cannot be expressed exactly; lists them all.</exception>
    public static CronYamlFile Generate(IEnumerable<RecurringJobDto> recurringJobs, string periodicTaskPath = DefaultPeriodicTaskPath, ITimeZoneResolver? timeZoneResolver = null)
    {
        ArgumentNullException.ThrowIfNull(recurringJobs);
        return Generate(recurringJobs.Where(job => job is { Removed: false }).Select(CronYamlRecurringJob.From), periodicTaskPath, timeZoneResolver);
    }

    /// <summary>Generates <c>cron.yaml</c> from plain descriptions of the recurring jobs.</summary>
    /// <param name="recurringJobs">The jobs; ids must be unique.</param>
    /// <param name="periodicTaskPath">The path sqsd POSTs periodic tasks to; must start with <c>/</c>.</param>
    /// <param name="timeZoneResolver">Resolves each job's <c>TimeZoneId</c>; Hangfire's default resolver when null.</param>
    /// <returns>The file, tasks sorted by name.</returns>
    /// <exception cref="CronYamlGenerationException">Some jobs cannot be expressed exactly; lists them all.</exception>
    public static CronYamlFile Generate(IEnumerable<CronYamlRecurringJob> recurringJobs, string periodicTaskPath = DefaultPeriodicTaskPath, ITimeZoneResolver? timeZoneResolver = null)
    {
        ArgumentNullException.ThrowIfNull(recurringJobs);
        ValidatePath(periodicTaskPath);
        timeZoneResolver ??= new DefaultTimeZoneResolver();

        var problems = new List<string>();
        var tasks = new List<CronYamlTask>();
        var idsByName = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var job in recurringJobs.OrderBy(job => job.Id, StringComparer.Ordinal))
        {
            if (string.IsNullOrEmpty(job.Id))
            {
                problems.Add($"A recurring job with schedule '{job.Cron}' has no id.");
                continue;
            }

            var name = CronYamlTaskNames.ToTaskName(job.Id);
            if (idsByName.TryGetValue(name, out var otherId))
            {
                problems.Add(string.Equals(otherId, job.Id, StringComparison.Ordinal)
                    ? $"Recurring job '{job.Id}' is listed twice."
                    : CronYamlTaskNames.CollisionMessage(otherId, job.Id, name));
                continue;
            }

            idsByName.Add(name, job.Id);
            var translation = Translate(job, timeZoneResolver);
            if (translation.IsAccepted)
            {
                tasks.Add(new CronYamlTask(name, periodicTaskPath, translation.UtcExpression!));
            }
            else if (!translation.NeverFires)
            {
                problems.Add(translation.Error!);
            }
        }

        return problems.Count > 0 ? throw new CronYamlGenerationException(problems) : new CronYamlFile(tasks);
    }

    /// <summary>The cron.yaml schedule of one job, resolving its time zone: the worker checks periodic tasks against it.</summary>
    internal static SqsdCronTranslation Translate(CronYamlRecurringJob job, ITimeZoneResolver timeZoneResolver)
    {
        if (string.IsNullOrWhiteSpace(job.TimeZoneId))
        {
            return SqsdCronExpression.Translate(job.Id, job.Cron, TimeZoneInfo.Utc);
        }

        TimeZoneInfo timeZone;
        try
        {
            timeZone = timeZoneResolver.GetTimeZoneById(job.TimeZoneId);
        }
        catch (Exception exception) when (exception is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return SqsdCronTranslation.Refused(job.Id, job.Cron ?? string.Empty, job.TimeZoneId, $"the time zone is not known on this machine ({exception.Message}).");
        }

        return SqsdCronExpression.Translate(job.Id, job.Cron, timeZone);
    }

    private static void ValidatePath(string periodicTaskPath)
    {
        ArgumentNullException.ThrowIfNull(periodicTaskPath);

        // sqsd POSTs to http://localhost + url; keep to plain path characters so no proxy or router rewrites it.
        var valid = periodicTaskPath.StartsWith('/') && !periodicTaskPath.StartsWith("//", StringComparison.Ordinal)
            && periodicTaskPath.All(c => char.IsAsciiLetterOrDigit(c) || "/-._~!$&'()*+,;=:@%".Contains(c, StringComparison.Ordinal));
        if (!valid)
        {
            throw new ArgumentException($"The periodic-task path '{periodicTaskPath}' must start with a single '/' and contain only URL path characters (no spaces, '?' or '#').", nameof(periodicTaskPath));
        }
    }
}
