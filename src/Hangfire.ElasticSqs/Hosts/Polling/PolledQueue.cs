namespace Hangfire.ElasticSqs.Hosts.Polling;

/// <summary>An SQS queue this process receives from, with the visibility timeout its messages are received with.</summary>
internal sealed record PolledQueue(string HangfireQueue, string Url, TimeSpan VisibilityTimeout);
