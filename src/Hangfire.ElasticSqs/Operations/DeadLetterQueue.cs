using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Messages;
using Hangfire.Storage;
using Newtonsoft.Json.Linq;

namespace Hangfire.ElasticSqs.Operations;

/// <summary>
/// Lists, redrives and deletes the messages on a queue's dead-letter queue (the target of its redrive policy). Used
/// by the <c>elasticsqs queues</c> commands and the Dashboard's dead-letters page.
/// </summary>
/// <remarks>
/// Redrive is receive → send to the source queue → delete, not SQS's <c>StartMessageMoveTask</c>: that task is not
/// available on every SQS-compatible server (moto, LocalStack's older versions), and it cannot move a chosen message.
/// A message is sent verbatim (body and attributes), so its signature still verifies; within one run each message id
/// is sent once, so a message whose delete failed and came back is deleted, not sent again.
/// </remarks>
internal sealed class DeadLetterQueue
{
    /// <summary>How long a listed message stays hidden before it is released again (released at the end of each call).</summary>
    private const int HoldSeconds = 30;

    private readonly ElasticSqsStorage _storage;

    private DeadLetterQueue(ElasticSqsStorage storage, string sourceUrl, string url, string name, int? maxReceiveCount)
    {
        _storage = storage;
        SourceUrl = sourceUrl;
        Url = url;
        Name = name;
        MaxReceiveCount = maxReceiveCount;
    }

    public string SourceUrl { get; }

    public string Url { get; }

    public string Name { get; }

    public int? MaxReceiveCount { get; }

    private IAmazonSQS Sqs => _storage.Sqs;

    /// <summary>The dead-letter queue of a Hangfire queue, or null when its SQS queue has no redrive policy.</summary>
    public static async Task<DeadLetterQueue?> FindAsync(ElasticSqsStorage storage, string hangfireQueue, CancellationToken cancellationToken)
    {
        var source = await storage.Publisher.Resolver.ResolveAsync(hangfireQueue, cancellationToken).ConfigureAwait(false);
        return await FindBySourceAsync(storage, source.Url, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<DeadLetterQueue?> FindBySourceAsync(ElasticSqsStorage storage, string sourceUrl, CancellationToken cancellationToken)
    {
        var attributes = (await storage.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest(sourceUrl, ["RedrivePolicy"]), cancellationToken).ConfigureAwait(false)).Attributes;
        if (attributes is null || !attributes.TryGetValue("RedrivePolicy", out var policy) || RedrivePolicy.Parse(policy) is not { } redrive)
        {
            return null;
        }

        var name = redrive.DeadLetterArn[(redrive.DeadLetterArn.LastIndexOf(':') + 1)..];
        var url = (await storage.Sqs.GetQueueUrlAsync(name, cancellationToken).ConfigureAwait(false)).QueueUrl;
        return new DeadLetterQueue(storage, sourceUrl, url, name, redrive.MaxReceiveCount);
    }

    /// <summary>Up to <paramref name="limit"/> dead letters, oldest first as SQS returns them; none is consumed.</summary>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        var held = await HoldAsync(limit, cancellationToken).ConfigureAwait(false);
        try
        {
            return [.. held.Select(Describe)];
        }
        finally
        {
            await ReleaseAsync(held).ConfigureAwait(false);
        }
    }

    /// <summary>Moves dead letters (all, or those with the given message ids) back to the source queue; returns how many.</summary>
    public async Task<int> RedriveAsync(IReadOnlySet<string>? messageIds, CancellationToken cancellationToken)
        => await ActAsync(messageIds, async message =>
        {
            var request = new SendMessageRequest(SourceUrl, message.Body) { MessageAttributes = message.MessageAttributes };
            if (SourceUrl.EndsWith(".fifo", StringComparison.Ordinal))
            {
                request.MessageGroupId = message.Attributes?.GetValueOrDefault("MessageGroupId") ?? message.MessageId;
                request.MessageDeduplicationId = "redrive-" + message.MessageId;
            }

            await Sqs.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>Deletes dead letters (all, or those with the given message ids); returns how many.</summary>
    public Task<int> DeleteAsync(IReadOnlySet<string>? messageIds, CancellationToken cancellationToken)
        => ActAsync(messageIds, static _ => Task.CompletedTask, cancellationToken);

    private async Task<int> ActAsync(IReadOnlySet<string>? messageIds, Func<Message, Task> beforeDelete, CancellationToken cancellationToken)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var deleted = 0;
        while (true)
        {
            var batch = await ReceiveAsync(10, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                return deleted;
            }

            var others = new List<Message>();
            var progress = false;
            foreach (var message in batch)
            {
                if (messageIds is not null && !messageIds.Contains(message.MessageId))
                {
                    others.Add(message);
                    continue;
                }

                if (done.Add(message.MessageId))
                {
                    await beforeDelete(message).ConfigureAwait(false);
                    deleted++;
                }

                await Sqs.DeleteMessageAsync(Url, message.ReceiptHandle, cancellationToken).ConfigureAwait(false);
                progress = true;
            }

            await ReleaseAsync(others).ConfigureAwait(false);
            if (!progress || (messageIds is not null && done.Count >= messageIds.Count))
            {
                // Only messages not asked for came back: the ones asked for are gone (or hidden by another reader).
                return deleted;
            }
        }
    }

    private async Task<List<Message>> HoldAsync(int limit, CancellationToken cancellationToken)
    {
        var held = new List<Message>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (held.Count < limit)
        {
            var batch = await ReceiveAsync(Math.Min(10, limit - held.Count), cancellationToken).ConfigureAwait(false);
            var fresh = batch.Where(m => seen.Add(m.MessageId)).ToList();
            held.AddRange(fresh);
            if (fresh.Count == 0)
            {
                break;
            }
        }

        return held;
    }

    private async Task<List<Message>> ReceiveAsync(int max, CancellationToken cancellationToken)
    {
        var response = await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(Url)
        {
            MaxNumberOfMessages = max,
            VisibilityTimeout = HoldSeconds,

            // A short poll samples only some SQS servers and can come back empty while messages wait; a one-second long
            // poll asks them all, so an empty answer means the queue is empty.
            WaitTimeSeconds = 1,
            MessageAttributeNames = ["All"],
            MessageSystemAttributeNames = ["All"],
        }, cancellationToken).ConfigureAwait(false);
        return response.Messages ?? [];
    }

    private async Task ReleaseAsync(IReadOnlyList<Message> messages)
    {
        foreach (var chunk in messages.Chunk(10))
        {
            try
            {
                await Sqs.ChangeMessageVisibilityBatchAsync(Url, [.. chunk.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle) { VisibilityTimeout = 0 })]).ConfigureAwait(false);
            }
            catch (AmazonSQSException)
            {
                // Not released: they become visible again by themselves after the hold.
            }
        }
    }

    private DeadLetter Describe(Message message)
    {
        var system = message.Attributes ?? [];
        var receiveCount = system.TryGetValue("ApproximateReceiveCount", out var count) && int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : 0;
        var firstReceived = Timestamp(system, "ApproximateFirstReceiveTimestamp");
        var sent = Timestamp(system, "SentTimestamp");
        var attributes = message.MessageAttributes ?? [];
        string? Attribute(string name) => attributes.TryGetValue(name, out var value) ? value.StringValue : null;
        var body = System.Text.Encoding.UTF8.GetBytes(message.Body ?? string.Empty);
        var signature = Attribute(MessageAttributeNames.Signature);

        // Verify before parse: an unverified body is never read, so nothing from it is shown.
        if (!_storage.Signer.Verify(body, Attribute, signature))
        {
            var why = signature is null ? "no signature: not a job message of this application" : "the signature does not verify: altered, or signed with a key no longer configured";
            return new DeadLetter(message.MessageId, null, null, receiveCount, firstReceived, sent, why);
        }

        JobEnvelope envelope;
        try
        {
            envelope = JobEnvelope.Parse(body);
        }
        catch (FormatException ex)
        {
            return new DeadLetter(message.MessageId, null, null, receiveCount, firstReceived, sent, "malformed envelope: " + ex.Message);
        }

        return new DeadLetter(message.MessageId, envelope.JobId, MethodOf(envelope), receiveCount, firstReceived, sent, ReasonFor(envelope.JobId));
    }

    private static string? MethodOf(JobEnvelope envelope)
    {
        try
        {
            var invocation = InvocationData.DeserializePayload(envelope.JobPayload);
            return (invocation.Type?.Split(',')[0] ?? "?") + "." + invocation.Method;
        }
        catch (Exception ex) when (ex is Newtonsoft.Json.JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    private string ReasonFor(string jobId)
    {
        var moved = MaxReceiveCount is { } max ? $"delivered {max} time(s) without completing" : "moved by the redrive policy";
        try
        {
            using var connection = _storage.InnerStorage.GetConnection();
            var state = connection.GetStateData(jobId);
            if (state is null)
            {
                return moved + "; the job no longer exists in storage";
            }

            var detail = state.Name == "Failed" && state.Data is { } data && data.TryGetValue("ExceptionType", out var type) ? $" ({type})" : string.Empty;
            return $"{moved}; the job is {state.Name}{detail}";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return moved + "; the job's state could not be read: " + ex.GetType().Name;
        }
    }

    private static DateTime? Timestamp(Dictionary<string, string> attributes, string name)
        => attributes.TryGetValue(name, out var value) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime
            : null;
}

/// <summary>An SQS queue's <c>RedrivePolicy</c> attribute.</summary>
internal sealed record RedrivePolicy(string DeadLetterArn, int? MaxReceiveCount)
{
    public static RedrivePolicy? Parse(string json)
    {
        try
        {
            var policy = JObject.Parse(json);
            return policy.Value<string>("deadLetterTargetArn") is { Length: > 0 } arn
                ? new RedrivePolicy(arn, int.TryParse(policy["maxReceiveCount"]?.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var max) ? max : null)
                : null;
        }
        catch (Newtonsoft.Json.JsonException)
        {
            return null;
        }
    }

    public string ToJson() => new JObject
    {
        ["deadLetterTargetArn"] = DeadLetterArn,
        ["maxReceiveCount"] = MaxReceiveCount?.ToString(CultureInfo.InvariantCulture),
    }.ToString(Newtonsoft.Json.Formatting.None);
}
