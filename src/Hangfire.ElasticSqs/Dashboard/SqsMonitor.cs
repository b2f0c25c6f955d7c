using Amazon.SQS;
using Hangfire.ElasticSqs.Storage;
using Newtonsoft.Json.Linq;

namespace Hangfire.ElasticSqs.Dashboard;

/// <summary>
/// Reads the mapped queues' metrics from SQS for the Dashboard, at most every few seconds however many browsers poll,
/// and remembers the last error talking to SQS. Never throws: a failure becomes part of the snapshot.
/// </summary>
internal sealed class SqsMonitor
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    private readonly ElasticSqsStorage _storage;
    private readonly object _refresh = new();
    private SqsSnapshot? _cached;
    private SqsError? _lastError;

    public SqsMonitor(ElasticSqsStorage storage) => _storage = storage;

    public SqsError? LastError => Volatile.Read(ref _lastError);

    public void RecordError(string operation, Exception exception)
    {
        _storage.Telemetry.SqsFailed(operation.StartsWith("sending", StringComparison.Ordinal) ? "send" : operation.StartsWith("receiving", StringComparison.Ordinal) ? "receive" : "read", exception);
        Volatile.Write(ref _lastError, new SqsError(_storage.Time.GetUtcNow().UtcDateTime, operation, exception.GetBaseException().Message));
    }

    public SqsSnapshot Read()
    {
        var cached = Volatile.Read(ref _cached);
        var now = _storage.Time.GetUtcNow().UtcDateTime;
        if (cached is not null && now - cached.ReadAt < CacheFor)
        {
            return cached;
        }

        lock (_refresh)
        {
            cached = Volatile.Read(ref _cached);
            if (cached is not null && now - cached.ReadAt < CacheFor)
            {
                return cached;
            }

            var queues = HangfireQueues().Select(q => ReadQueueAsync(q).GetAwaiter().GetResult()).ToList();
            long pending;
            try
            {
                pending = _storage.Outbox.PendingCount();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                pending = -1;
            }

            var snapshot = new SqsSnapshot(now, queues, pending, LastError);
            Volatile.Write(ref _cached, snapshot);
            return snapshot;
        }
    }

    private IEnumerable<string> HangfireQueues()
    {
        IEnumerable<string> used;
        try
        {
            using var connection = _storage.InnerStorage.GetReadOnlyConnection();
            used = connection.GetAllItemsFromSet(StorageKeys.Queues);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            used = [];
        }

        return _storage.Options.Queues.Keys.Concat(used).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
    }

    private async Task<SqsQueueSnapshot> ReadQueueAsync(string hangfireQueue)
    {
        using var timeout = new CancellationTokenSource(CallTimeout);
        try
        {
            var queue = await _storage.Publisher.Resolver.ResolveAsync(hangfireQueue, timeout.Token).ConfigureAwait(false);
            var attributes = (await _storage.Sqs.GetQueueAttributesAsync(new Amazon.SQS.Model.GetQueueAttributesRequest(queue.Url, ["All"]), timeout.Token).ConfigureAwait(false)).Attributes ?? [];
            string? deadLetterName = null;
            long? deadLetterVisible = null;
            if (attributes.TryGetValue("RedrivePolicy", out var redrive) && JObject.Parse(redrive).Value<string>("deadLetterTargetArn") is { } arn)
            {
                deadLetterName = arn[(arn.LastIndexOf(':') + 1)..];
                var deadLetterUrl = (await _storage.Sqs.GetQueueUrlAsync(deadLetterName, timeout.Token).ConfigureAwait(false)).QueueUrl;
                var deadLetter = await _storage.Sqs.GetQueueAttributesAsync(new Amazon.SQS.Model.GetQueueAttributesRequest(deadLetterUrl, ["ApproximateNumberOfMessages"]), timeout.Token).ConfigureAwait(false);
                deadLetterVisible = deadLetter.ApproximateNumberOfMessages;
            }

            return new SqsQueueSnapshot(
                hangfireQueue,
                queue.Name,
                queue.Url,
                Count(attributes, "ApproximateNumberOfMessages"),
                Count(attributes, "ApproximateNumberOfMessagesNotVisible"),
                Count(attributes, "ApproximateNumberOfMessagesDelayed"),
                deadLetterName,
                deadLetterVisible,
                null);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            RecordError($"reading queue '{hangfireQueue}'", ex);
            return new SqsQueueSnapshot(hangfireQueue, null, null, null, null, null, null, null, ex.GetBaseException().Message);
        }
    }

    private static long? Count(Dictionary<string, string> attributes, string name)
        => attributes.TryGetValue(name, out var value) && long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) ? count : null;
}
