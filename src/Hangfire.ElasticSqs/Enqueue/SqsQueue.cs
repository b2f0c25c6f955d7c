namespace Hangfire.ElasticSqs.Enqueue;

/// <summary>A resolved SQS queue: where a Hangfire queue's messages go, and how large they may be.</summary>
internal sealed record SqsQueue(string HangfireQueue, string Url, string Name, int MaximumMessageSize)
{
    public bool IsFifo => Name.EndsWith(".fifo", StringComparison.Ordinal);
}
