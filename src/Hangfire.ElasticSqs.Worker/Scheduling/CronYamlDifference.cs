namespace Hangfire.ElasticSqs.Worker.Scheduling;

/// <summary>One difference between the deployed cron.yaml and the registered recurring jobs.</summary>
/// <param name="IsError">True when a recurring job will not run as registered; false for a stray task.</param>
/// <param name="Message">The sentence to log or print.</param>
internal sealed record CronYamlDifference(bool IsError, string Message);
