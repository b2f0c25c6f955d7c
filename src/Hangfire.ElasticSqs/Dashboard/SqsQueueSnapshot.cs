namespace Hangfire.ElasticSqs.Dashboard;

/// <summary>One mapped queue as SQS reports it: approximate counts, and its dead-letter queue when it has one.</summary>
internal sealed record SqsQueueSnapshot(
    string HangfireQueue,
    string? Name,
    string? Url,
    long? Visible,
    long? InFlight,
    long? Delayed,
    string? DeadLetterQueueName,
    long? DeadLetterVisible,
    string? Error);

/// <summary>Everything the SQS page shows, read at <see cref="ReadAt"/>.</summary>
internal sealed record SqsSnapshot(DateTime ReadAt, IReadOnlyList<SqsQueueSnapshot> Queues, long PendingSends, SqsError? LastError);

/// <summary>The last failure talking to SQS (a send, a resolve, or a read for this page).</summary>
internal sealed record SqsError(DateTime At, string Operation, string Message);
