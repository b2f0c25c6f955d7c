namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// One periodic task of an Elastic Beanstalk <c>cron.yaml</c> file: sqsd queues a message for it on
/// <paramref name="Schedule"/> and then POSTs an empty body to <paramref name="Url"/> with the header
/// <c>X-Aws-Sqsd-Taskname: <paramref name="Name"/></c>.
/// </summary>
/// <param name="Name">The task name; unique in the file. Sent as the <c>X-Aws-Sqsd-Taskname</c> header.</param>
/// <param name="Url">The path sqsd POSTs to, e.g. <c>/periodic-tasks</c> (the worker's HttpPath is not prepended).</param>
/// <param name="Schedule">A 5-field cron expression evaluated by sqsd in UTC.</param>
internal sealed record CronYamlTask(string Name, string Url, string Schedule);
