using System.Collections.Concurrent;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>
/// Long-polls the worker queue and hands each message to a <see cref="MessageDelivery"/>, never holding
/// more messages than there are free connections: a slot is taken before receiving and given back when the
/// POST is over, so at most <see cref="LocalSqsdOptions.HttpConnections"/> requests are ever in flight.
/// </summary>
internal sealed class ReceivePump : IDisposable
{
    private const int MaxMessagesPerReceive = 10;
    private const double MaxRetryDelaySeconds = 20;

    private readonly LocalSqsdOptions _options;
    private readonly IAmazonSQS _sqs;
    private readonly MessageDelivery _delivery;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _connections;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();
    private Task _loop = Task.CompletedTask;

    public ReceivePump(LocalSqsdOptions options, IAmazonSQS sqs, MessageDelivery delivery, TimeProvider time, ILogger logger)
    {
        _options = options;
        _sqs = sqs;
        _delivery = delivery;
        _time = time;
        _logger = logger;
        _connections = new SemaphoreSlim(options.HttpConnections, options.HttpConnections);
    }

    public int InFlightCount => _inFlight.Count;

    public void Start() => _loop = Task.Run(RunAsync, CancellationToken.None);

    /// <summary>Ends the long poll under way and receives no more.</summary>
    public async Task StopReceivingAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
    }

    /// <summary>Waits for the deliveries in flight; false when the timeout or the token cut the wait short.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_inFlight.Keys).WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Cancels the POSTs in flight (their messages get the error visibility timeout) and waits for them.</summary>
    public async Task AbandonInFlightAsync()
    {
        await _abort.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_inFlight.Keys).ConfigureAwait(false);
    }

    /// <summary>Cancels everything without waiting.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        _abort.Cancel();
    }

    private async Task RunAsync()
    {
        var failures = 0;
        var stopping = _stopping.Token;
        while (await TakeConnectionAsync(stopping).ConfigureAwait(false))
        {
            var slots = 1;
            while (slots < MaxMessagesPerReceive && _connections.Wait(0, CancellationToken.None))
            {
                slots++;
            }

            List<Message> messages;
            try
            {
                messages = await ReceiveAsync(slots, stopping).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                _connections.Release(slots);
                return;
            }
#pragma warning disable CA1031 // An SQS outage must not end the daemon: log, back off, try again.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                _connections.Release(slots);
                var delay = TimeSpan.FromSeconds(Math.Min(Math.Pow(2, failures++), MaxRetryDelaySeconds));
                _logger.ReceiveFailed(exception, _options.WorkerQueueURL!, delay);
                if (!await DelayAsync(delay, stopping).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            if (slots > messages.Count)
            {
                _connections.Release(slots - messages.Count);
            }

            foreach (var message in messages)
            {
                Track(Task.Run(() => _delivery.DeliverAsync(message, _connections, _abort.Token), CancellationToken.None));
            }
        }
    }

    /// <summary>
    /// Waits for a free connection before receiving, so that no message's visibility clock runs while it
    /// waits for one. False once stopping.
    /// </summary>
    private async Task<bool> TakeConnectionAsync(CancellationToken stopping)
    {
        try
        {
            await _connections.WaitAsync(stopping).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<List<Message>> ReceiveAsync(int maxMessages, CancellationToken stopping)
    {
        var response = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = _options.WorkerQueueURL,
            MaxNumberOfMessages = maxMessages,
            WaitTimeSeconds = _options.ReceiveWaitTimeSeconds,
            VisibilityTimeout = _options.VisibilityTimeout,
            MessageSystemAttributeNames =
            [
                MessageSystemAttributeName.ApproximateReceiveCount,
                MessageSystemAttributeName.ApproximateFirstReceiveTimestamp,
                MessageSystemAttributeName.SentTimestamp,
                MessageSystemAttributeName.SenderId,
            ],
            MessageAttributeNames = ["All"],
        }, stopping).ConfigureAwait(false);
        return response.Messages ?? [];
    }

    private void Track(Task delivery)
    {
        _inFlight.TryAdd(delivery, 0);
        delivery.ContinueWith(finished => _inFlight.TryRemove(finished, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
