using System.Text.Json.Serialization;

namespace Hangfire.ElasticSqs.Lambda;

/// <summary>
/// The event an AWS Lambda SQS event source mapping invokes a function with: a batch of messages. The JSON names are
/// those of the documented event, so the library needs no Amazon.Lambda.* package to read it.
/// </summary>
public sealed record LambdaSqsEvent
{
    /// <summary>The messages of the batch (up to the mapping's batch size).</summary>
    [JsonPropertyName("Records")]
    public IReadOnlyList<LambdaSqsMessage> Records { get; init; } = [];
}

/// <summary>One SQS message of a <see cref="LambdaSqsEvent"/>.</summary>
public sealed record LambdaSqsMessage
{
    /// <summary>The SQS message id: what a batch item failure names.</summary>
    [JsonPropertyName("messageId")]
    public string MessageId { get; init; } = string.Empty;

    /// <summary>The receipt handle (the event source mapping deletes the message with it; the handler never does).</summary>
    [JsonPropertyName("receiptHandle")]
    public string? ReceiptHandle { get; init; }

    /// <summary>The message body, exactly as sent.</summary>
    [JsonPropertyName("body")]
    public string? Body { get; init; }

    /// <summary>The system attributes: <c>ApproximateReceiveCount</c>, <c>SentTimestamp</c>, …</summary>
    [JsonPropertyName("attributes")]
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }

    /// <summary>The message attributes by name. A job message's are signed strings.</summary>
    [JsonPropertyName("messageAttributes")]
    public IReadOnlyDictionary<string, LambdaSqsMessageAttribute>? MessageAttributes { get; init; }

    /// <summary>The ARN of the queue the message came from.</summary>
    [JsonPropertyName("eventSourceARN")]
    public string? EventSourceArn { get; init; }
}

/// <summary>One message attribute of a <see cref="LambdaSqsMessage"/>.</summary>
public sealed record LambdaSqsMessageAttribute
{
    /// <summary>The value of a <c>String</c> or <c>Number</c> attribute.</summary>
    [JsonPropertyName("stringValue")]
    public string? StringValue { get; init; }

    /// <summary><c>String</c>, <c>Number</c> or <c>Binary</c>, optionally with a custom suffix.</summary>
    [JsonPropertyName("dataType")]
    public string? DataType { get; init; }
}
