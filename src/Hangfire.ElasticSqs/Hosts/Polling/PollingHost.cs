using System.Collections.Concurrent;
using System.Text;
using Amazon.SQS;
using Hangfire.ElasticSqs.Pipeline;
using Hangfire.ElasticSqs.Storage;
using Hangfire.Storage;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Hosts.Polling;

/// <summary>
/// Poll mode: the ordinary Hangfire server on this storage receives its jobs straight from SQS. Each server's workers
/// share one <see cref="SqsPoller"/> for their queues; each message goes through the delivery pipeline on the worker
/// that takes it, and its outcome becomes a delete, a visibility change, or nothing (poison is left to the queue's
/// redrive policy).
/// </summary>
internal sealed partial class PollingHost : IAsyncDisposable
{
    private const int MaxLongPollSeconds = 20;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(15);

    // Room for the response to travel after SQS ends the wait.
    private static readonly TimeSpan LongPollMargin = TimeSpan.FromSeconds(2);
    private readonly ElasticSqsStorage _storage;
    private readonly ConcurrentDictionary<(string Queues, CancellationToken Stopping), SqsPoller> _pollers = new();
    private readonly ConcurrentDictionary<string, Task<PolledQueue>> _queues = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private int _disposed;

    public PollingHost(ElasticSqsStorage storage)
    {
        _storage = storage;
        _logger = storage.LoggerFactory.CreateLogger<PollingHost>();
        Keeper = new VisibilityKeeper(storage.Sqs, _logger, storage.PollVisibilityLimit);
        Receipts = new ReceiptBatcher(storage.Sqs, _logger);
        var clientTimeout = storage.Sqs.Config?.Timeout;
        LongPollSeconds = LongPollWithin(clientTimeout);
        if (LongPollSeconds < MaxLongPollSeconds)
        {
            LogLongPollShortened(_logger, clientTimeout!.Value.TotalSeconds, LongPollSeconds);
        }
    }

    /// <summary>
    /// How long an idle receive waits: SQS's longest wait, shortened to end inside the SQS client's own timeout. SQS
    /// still serves a receive the client has given up on, and the messages it takes stay invisible for a whole
    /// visibility timeout, each such receive counting towards the queue's <c>maxReceiveCount</c>.
    /// </summary>
    public int LongPollSeconds { get; }

    public IAmazonSQS Sqs => _storage.Sqs;

    public ElasticSqsStorage Storage => _storage;

    public VisibilityKeeper Keeper { get; }

    public ReceiptBatcher Receipts { get; }

    /// <summary>The next job to run for a worker of the server whose stopping token is <paramref name="cancellationToken"/>.</summary>
    public IFetchedJob FetchNextJob(string[] queues, CancellationToken cancellationToken)
    {
        var poller = PollerFor(queues, cancellationToken);
        while (true)
        {
            var message = poller.Take(cancellationToken);
            PolledJobLease? lease;
            try
            {
                lease = Decide(message);
            }
            catch
            {
                // Never keep a message invisible that no one will run: another instance (or this one) takes it again.
                GiveBack(message);
                poller.Finished(message);
                throw;
            }

            if (lease is not null)
            {
                return new ElasticSqsFetchedJob(_storage, lease);
            }

            poller.Finished(message);
        }
    }

    internal static int LongPollWithin(TimeSpan? clientTimeout)
        => clientTimeout is { } timeout && timeout < TimeSpan.FromSeconds(MaxLongPollSeconds) + LongPollMargin
            ? Math.Max(1, (int)(timeout - LongPollMargin).TotalSeconds)
            : MaxLongPollSeconds;

    public void GiveBack(PolledMessage message)
    {
        Keeper.Forget(message);
        Receipts.ChangeVisibility(message, TimeSpan.Zero);
    }

    public void RecordError(string operation, Exception error) => _storage.Monitor.RecordError(operation, error);

    public Diagnostics.ElasticSqsTelemetry Telemetry => _storage.Telemetry;

    private const string Host = "poll";

    public Task<PolledQueue> ResolveAsync(string hangfireQueue, CancellationToken cancellationToken)
    {
        var task = _queues.GetOrAdd(hangfireQueue, LoadAsync);
        if (task.IsFaulted || task.IsCanceled)
        {
            _queues.TryRemove(new KeyValuePair<string, Task<PolledQueue>>(hangfireQueue, task)); // Never cache a failure.
        }

        return task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var poller in _pollers.Values)
        {
            poller.Dispose();
        }

        await Keeper.DisposeAsync().ConfigureAwait(false);
        await Receipts.DisposeAsync().ConfigureAwait(false);
    }

    private SqsPoller PollerFor(string[] queues, CancellationToken stopping)
    {
        var key = (string.Join('\n', queues), stopping);
        if (_pollers.TryGetValue(key, out var existing))
        {
            return existing;
        }

        var created = new SqsPoller(this, queues, _logger);
        var poller = _pollers.GetOrAdd(key, created);
        if (ReferenceEquals(poller, created))
        {
            // The server's stopping signal: stop receiving, and give back what no worker has started.
            stopping.Register(() =>
            {
                _pollers.TryRemove(key, out _);
                created.Dispose();
            });
        }
        else
        {
            created.Dispose();
        }

        return poller;
    }

    private async Task<PolledQueue> LoadAsync(string hangfireQueue)
    {
        var queue = await _storage.Publisher.Resolver.ResolveAsync(hangfireQueue, CancellationToken.None).ConfigureAwait(false);
        var attributes = await Sqs.GetQueueAttributesAsync(queue.Url, ["VisibilityTimeout"]).ConfigureAwait(false);
        var visibility = TimeSpan.FromSeconds(attributes.VisibilityTimeout is > 0 and var seconds ? seconds : 30);
        return new PolledQueue(hangfireQueue, queue.Url, visibility);
    }

    /// <summary>Runs a received message through the pipeline: a lease when its job should run now, else null.</summary>
    private PolledJobLease? Decide(PolledMessage message)
    {
        Telemetry.Received(Host);
        var body = Encoding.UTF8.GetBytes(message.Message.Body ?? string.Empty);
        if (!_storage.Pipeline.TryRead(body, message.Attribute, out var verified, out var refusal))
        {
            Finish(message, refusal);
            return null;
        }

        var pending = _storage.Pipeline.DecideAsync(verified, DeliverySettings.Default);
        var decision = pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
        if (decision.ShouldRun)
        {
            var lease = new PolledJobLease(this, _storage.Pipeline, message, decision.RunJobId!, decision.Queue, verified.TraceParent);
            message.Lease = lease;
            return lease;
        }

        Finish(message, decision.Result);
        return null;
    }

    private void Finish(PolledMessage message, DeliveryResult result)
    {
        Telemetry.Finished(Host, result.Status);
        if (result.IsFinished)
        {
            Keeper.Forget(message);
            Receipts.Delete(message);
            LogFinished(_logger, message.MessageId, result.JobId, result.Status, result.Reason);
        }
        else if (result.IsPoison)
        {
            // Never deleted: the queue's redrive policy moves it to the dead-letter queue after maxReceiveCount receives.
            Keeper.Forget(message);
            LogPoison(_logger, message.MessageId, message.Queue.HangfireQueue, message.ReceiveCount, result.Status, result.Reason);
        }
        else
        {
            // Running elsewhere, or storage/SQS down: come back later rather than in a tight loop. Each receive counts
            // toward maxReceiveCount, so the back-off grows with it.
            var backoff = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(30).Ticks * message.ReceiveCount, MaxBackoff.Ticks));
            Keeper.Forget(message);
            Receipts.ChangeVisibility(message, backoff);
            LogHeldBack(_logger, message.MessageId, result.JobId, result.Status, result.Reason, backoff.TotalSeconds);
        }
    }

    [LoggerMessage(65, LogLevel.Warning, "The SQS client's Timeout ({TimeoutSeconds} s) is shorter than a 20-second long poll: idle receives wait {Seconds} s instead, making more receive calls")]
    private static partial void LogLongPollShortened(ILogger logger, double timeoutSeconds, int seconds);

    [LoggerMessage(62, LogLevel.Debug, "SQS message {MessageId} job {JobId}: {Status} ({Reason}); deleted")]
    private static partial void LogFinished(ILogger logger, string messageId, string? jobId, DeliveryStatus status, string reason);

    [LoggerMessage(63, LogLevel.Error, "SQS message {MessageId} on queue {Queue} (receive {ReceiveCount}) cannot run: {Status} ({Reason}); left for the queue's redrive policy")]
    private static partial void LogPoison(ILogger logger, string messageId, string queue, int receiveCount, DeliveryStatus status, string reason);

    [LoggerMessage(64, LogLevel.Information, "SQS message {MessageId} job {JobId}: {Status} ({Reason}); delivered again in {Seconds} s")]
    private static partial void LogHeldBack(ILogger logger, string messageId, string? jobId, DeliveryStatus status, string reason, double seconds);
}
