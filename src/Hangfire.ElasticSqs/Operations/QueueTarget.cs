namespace Hangfire.ElasticSqs.Operations;

/// <summary>A Hangfire queue, the SQS queue it maps to, and the name its dead-letter queue gets when created here.</summary>
/// <param name="HangfireQueue">The Hangfire queue name.</param>
/// <param name="Target">The SQS queue name or URL from the options (explicit map or prefix).</param>
internal sealed record QueueTarget(string HangfireQueue, string Target)
{
    public bool IsUrl => Target.Contains("://", StringComparison.Ordinal);

    /// <summary>The SQS queue's name (the last segment of a URL).</summary>
    public string Name => IsUrl ? Target.TrimEnd('/')[(Target.TrimEnd('/').LastIndexOf('/') + 1)..] : Target;

    public bool IsFifo => Name.EndsWith(".fifo", StringComparison.Ordinal);

    /// <summary><c>{name}-dlq</c>, or <c>{name}-dlq.fifo</c> for a FIFO queue (a FIFO queue's dead letters must go to a FIFO queue).</summary>
    public string DeadLetterName => IsFifo ? Name[..^".fifo".Length] + "-dlq.fifo" : Name + "-dlq";

    /// <summary>
    /// The Hangfire queues an operation covers: those given, else every queue of the explicit map plus <c>default</c>
    /// when the name prefix maps it.
    /// </summary>
    public static IReadOnlyList<QueueTarget> For(ElasticSqsStorageOptions options, IReadOnlyCollection<string> only)
    {
        IEnumerable<string> queues = only.Count > 0
            ? only
            : options.Queues.Keys.Concat(string.IsNullOrEmpty(options.QueueNamePrefix) ? [] : ["default"]);
        return [.. queues.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(q => new QueueTarget(q, TargetOf(options, q)))];
    }

    private static string TargetOf(ElasticSqsStorageOptions options, string hangfireQueue)
        => options.Queues.TryGetValue(hangfireQueue, out var target) ? target
            : !string.IsNullOrEmpty(options.QueueNamePrefix) ? options.QueueNamePrefix + hangfireQueue
            : throw new ArgumentException($"Hangfire queue '{hangfireQueue}' has no SQS queue: map it in ElasticSqsStorageOptions.Queues or set QueueNamePrefix.");
}
