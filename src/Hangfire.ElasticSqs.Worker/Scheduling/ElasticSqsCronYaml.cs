using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Hangfire.ElasticSqs.Worker.Scheduling;

namespace Hangfire;

/// <summary>
/// Generates the Elastic Beanstalk <c>cron.yaml</c> from the recurring jobs registered in a Hangfire storage, for
/// build or deployment scripts that do not use the <c>elasticsqs cron-yaml</c> command of <see cref="ElasticSqsCommands"/>.
/// </summary>
public static class ElasticSqsCronYaml
{
    /// <summary>Generates the file from the recurring jobs registered in <paramref name="storage"/>.</summary>
    /// <param name="storage">The Hangfire storage the application registers its recurring jobs in.</param>
    /// <param name="periodicTaskPath">The <c>url</c> of every task: the worker's periodic-task path.</param>
    /// <param name="timeZoneResolver">Resolves the jobs' time zones; Hangfire's default resolver when null.</param>
    /// <returns>The file, one task per recurring job that has a schedule, sorted by task name.</returns>
    /// <exception cref="CronYamlGenerationException">
    /// Some schedules cannot be expressed exactly in sqsd's cron; <see cref="CronYamlGenerationException.Problems"/>
    /// names each job, its expression and the reason.
    /// </exception>
    internal static CronYamlFile Generate(JobStorage storage, string periodicTaskPath = CronYamlGenerator.DefaultPeriodicTaskPath, ITimeZoneResolver? timeZoneResolver = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return CronYamlGenerator.Generate(CronYamlCheck.RecurringJobs(storage), periodicTaskPath, timeZoneResolver);
    }

    /// <summary>Generates the text of <c>cron.yaml</c> from the recurring jobs registered in <paramref name="storage"/>.</summary>
    /// <param name="storage">The Hangfire storage the application registers its recurring jobs in.</param>
    /// <param name="periodicTaskPath">The <c>url</c> of every task: the worker's periodic-task path.</param>
    /// <param name="timeZoneResolver">Resolves the jobs' time zones; Hangfire's default resolver when null.</param>
    /// <returns>Deterministic YAML (see <see cref="CronYamlFile.ToYaml"/>), ready to save at the root of the source bundle.</returns>
    /// <exception cref="CronYamlGenerationException">Some schedules cannot be expressed exactly in sqsd's cron.</exception>
    public static string GenerateYaml(JobStorage storage, string periodicTaskPath = CronYamlGenerator.DefaultPeriodicTaskPath, ITimeZoneResolver? timeZoneResolver = null)
        => Generate(storage, periodicTaskPath, timeZoneResolver).ToYaml();
}
