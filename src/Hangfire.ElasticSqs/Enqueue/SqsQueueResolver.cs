using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Hangfire.ElasticSqs.Enqueue;

/// <summary>
/// Maps Hangfire queue names to SQS queues (explicit map first, then the name-prefix convention) and caches the
/// result. A cached URL that stops working (<c>QueueDoesNotExist</c>) is forgotten and resolved once more.
/// </summary>
internal sealed class SqsQueueResolver
{
    private readonly IAmazonSQS _sqs;
    private readonly ElasticSqsStorageOptions _options;
    private readonly ConcurrentDictionary<string, Lazy<Task<SqsQueue>>> _cache = new(StringComparer.Ordinal);

    public SqsQueueResolver(IAmazonSQS sqs, ElasticSqsStorageOptions options)
    {
        _sqs = sqs;
        _options = options;
    }

    /// <summary>Hangfire queues this storage knows about up front (the explicit map).</summary>
    public IEnumerable<string> MappedQueues => _options.Queues.Keys;

    /// <summary>The SQS queue name or URL a Hangfire queue maps to, or throws <see cref="UnknownQueueException"/>.</summary>
    public string TargetOf(string hangfireQueue)
    {
        if (_options.Queues.TryGetValue(hangfireQueue, out var target))
        {
            return target;
        }

        if (!string.IsNullOrEmpty(_options.QueueNamePrefix))
        {
            return _options.QueueNamePrefix + hangfireQueue;
        }

        throw new UnknownQueueException(
            $"Hangfire queue '{hangfireQueue}' has no SQS queue. Map it in ElasticSqsStorageOptions.Queues " +
            $"(Queues[\"{hangfireQueue}\"] = \"<SQS queue URL or name>\", or Hangfire:ElasticSqs:Queues:{hangfireQueue} in configuration), " +
            "or set QueueNamePrefix to map every Hangfire queue by name.");
    }

    public async Task<SqsQueue> ResolveAsync(string hangfireQueue, CancellationToken cancellationToken)
    {
        var target = TargetOf(hangfireQueue);
        var entry = _cache.GetOrAdd(hangfireQueue, q => new Lazy<Task<SqsQueue>>(() => LoadAsync(q, target)));
        try
        {
            return await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Never cache a failure: the next enqueue asks SQS again (it may be back, or the queue created).
            _cache.TryRemove(new KeyValuePair<string, Lazy<Task<SqsQueue>>>(hangfireQueue, entry));
            throw;
        }
    }

    /// <summary>Forgets a queue whose URL SQS no longer knows, so the next call resolves it again.</summary>
    public void Forget(string hangfireQueue) => _cache.TryRemove(hangfireQueue, out _);

    private async Task<SqsQueue> LoadAsync(string hangfireQueue, string target)
    {
        string url;
        if (target.Contains("://", StringComparison.Ordinal))
        {
            url = target;
        }
        else
        {
            url = await GetOrCreateUrlAsync(hangfireQueue, target).ConfigureAwait(false);
        }

        var name = url.TrimEnd('/')[(url.TrimEnd('/').LastIndexOf('/') + 1)..];
        var maximum = _options.MaximumMessageSize ?? await ReadMaximumMessageSizeAsync(hangfireQueue, url).ConfigureAwait(false);
        return new SqsQueue(hangfireQueue, url, name, maximum);
    }

    private async Task<string> GetOrCreateUrlAsync(string hangfireQueue, string name)
    {
        try
        {
            return (await _sqs.GetQueueUrlAsync(name).ConfigureAwait(false)).QueueUrl;
        }
        catch (QueueDoesNotExistException) when (_options.CreateMissingQueues)
        {
            return (await _sqs.CreateQueueAsync(name).ConfigureAwait(false)).QueueUrl;
        }
        catch (QueueDoesNotExistException ex)
        {
            throw new UnknownQueueException(
                $"Hangfire queue '{hangfireQueue}' maps to SQS queue '{name}', which does not exist in this account and region. " +
                "Create it (with its dead-letter queue), fix ElasticSqsStorageOptions.Queues / QueueNamePrefix, " +
                "or for local development only set CreateMissingQueues = true.", ex);
        }
    }

    private async Task<int> ReadMaximumMessageSizeAsync(string hangfireQueue, string url)
    {
        try
        {
            var attributes = await _sqs.GetQueueAttributesAsync(url, ["MaximumMessageSize"]).ConfigureAwait(false);
            return attributes.MaximumMessageSize is > 0 and var size ? size : ElasticSqsStorageOptions.SqsHardMessageSizeLimit;
        }
        catch (QueueDoesNotExistException ex)
        {
            throw new UnknownQueueException(
                $"Hangfire queue '{hangfireQueue}' maps to the SQS queue URL '{url}', which does not exist. Fix ElasticSqsStorageOptions.Queues[\"{hangfireQueue}\"].", ex);
        }
    }
}
