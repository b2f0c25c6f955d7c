using System.Text.Json.Serialization;

namespace Hangfire.ElasticSqs.Lambda;

/// <summary>
/// A function's answer to a <see cref="LambdaSqsEvent"/> when its event source mapping reports batch item failures
/// (<c>ReportBatchItemFailures</c>): the mapping deletes every other record, and the failed ones become visible again
/// at the queue's visibility timeout (until its redrive policy moves them to the dead-letter queue).
/// </summary>
public sealed record LambdaBatchResponse
{
    /// <summary>The records that were not completed, in the order of the event.</summary>
    [JsonPropertyName("batchItemFailures")]
    public IReadOnlyList<LambdaBatchItemFailure> BatchItemFailures { get; init; } = [];
}

/// <summary>One record of the batch that was not completed.</summary>
public sealed record LambdaBatchItemFailure
{
    /// <summary>The failed record's <see cref="LambdaSqsMessage.MessageId"/>.</summary>
    [JsonPropertyName("itemIdentifier")]
    public string ItemIdentifier { get; init; } = string.Empty;
}
