using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Hosts.Polling;

/// <summary>
/// Keeps every held message invisible while its job waits or runs: a message whose visibility has less than half its
/// queue's visibility timeout left is extended by a whole timeout, in <c>ChangeMessageVisibilityBatch</c> calls of up to
/// 10. SQS caps a message's visibility at 12 hours from its receive. A job still running when the next extension would
/// be cut short is handed over to a lease (durable inner storage: the message is deleted, the job goes on Processing on
/// this live server); otherwise it is logged, and its message reappears (a redelivery finds the job Processing on a
/// live server and is held back).
/// </summary>
internal sealed partial class VisibilityKeeper : IAsyncDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(500);

    private readonly IAmazonSQS _sqs;
    private readonly ILogger _logger;
    private readonly TimeSpan _limit;
    private readonly ConcurrentDictionary<PolledMessage, byte> _held = new(ReferenceEqualityComparer.Instance);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public VisibilityKeeper(IAmazonSQS sqs, ILogger logger, TimeSpan limit)
    {
        _sqs = sqs;
        _logger = logger;
        _limit = limit;
        _loop = Task.Run(RunAsync);
    }

    public int Count => _held.Count;

    public void Hold(PolledMessage message) => _held.TryAdd(message, 0);

    public void Forget(PolledMessage message) => _held.TryRemove(message, out _);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Tick);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                await ExtendDueAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private async Task ExtendDueAsync()
    {
        var now = Stopwatch.GetTimestamp();
        var due = _held.Keys
            .Where(m => !m.AtVisibilityLimit && m.VisibleAgainAt - now < m.Queue.VisibilityTimeout.TotalSeconds * Stopwatch.Frequency / 2)
            .ToList();
        if (due.Count == 0)
        {
            return;
        }

        var calls = due.GroupBy(m => m.Queue.Url).SelectMany(group => group.Chunk(10)).Select(chunk => ExtendAsync(chunk, now));
        await Task.WhenAll(calls).ConfigureAwait(false);
    }

    private async Task ExtendAsync(PolledMessage[] chunk, long now)
    {
        var entries = new List<ChangeMessageVisibilityBatchRequestEntry>(chunk.Length);
        var timeouts = new int[chunk.Length];
        for (var i = 0; i < chunk.Length; i++)
        {
            var message = chunk[i];
            var held = Stopwatch.GetElapsedTime(message.ReceivedAt, now);
            var left = _limit - held - TimeSpan.FromSeconds(5);
            if (left < message.Queue.VisibilityTimeout && !message.AtVisibilityLimit && message.Lease is { } lease && TryHandOver(lease))
            {
                message.AtVisibilityLimit = true;
                LogLeased(_logger, message.MessageId, message.Queue.HangfireQueue, held);
                continue;
            }

            var timeout = TimeSpan.FromTicks(Math.Min(message.Queue.VisibilityTimeout.Ticks, left.Ticks));
            if (timeout < TimeSpan.FromSeconds(1))
            {
                message.AtVisibilityLimit = true;
                LogVisibilityLimit(_logger, message.MessageId, message.Queue.HangfireQueue, held);
                continue;
            }

            timeouts[i] = (int)timeout.TotalSeconds;
            entries.Add(new ChangeMessageVisibilityBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), message.ReceiptHandle) { VisibilityTimeout = timeouts[i] });
        }

        if (entries.Count == 0)
        {
            return;
        }

        try
        {
            var response = await _sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest(chunk[0].Queue.Url, entries), _stop.Token).ConfigureAwait(false);
            foreach (var ok in response.Successful ?? [])
            {
                var index = int.Parse(ok.Id, CultureInfo.InvariantCulture);
                chunk[index].VisibleAgainAt = now + (long)(timeouts[index] * (double)Stopwatch.Frequency);
            }

            foreach (var failed in response.Failed ?? [])
            {
                var message = chunk[int.Parse(failed.Id, CultureInfo.InvariantCulture)];
                if (_held.ContainsKey(message))
                {
                    LogExtendFailed(_logger, null, message.MessageId, message.Queue.HangfireQueue, failed.Code ?? failed.Message ?? "unknown");
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
#pragma warning disable CA1031 // An SQS error must not end the keeper: the next tick tries again while time is left.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogExtendFailed(_logger, ex, chunk[0].MessageId, chunk[0].Queue.HangfireQueue, ex.GetType().Name);
        }
    }

    private bool TryHandOver(PolledJobLease lease)
    {
        try
        {
            return lease.TryHandOverToLease();
        }
#pragma warning disable CA1031 // The inner storage is unreachable: extend as far as SQS allows and try again next tick.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogHandOverFailed(_logger, ex, lease.JobId);
            return false;
        }
    }

    [LoggerMessage(82, LogLevel.Information, "Message {MessageId} (queue {Queue}) has been held for {Held}, near SQS's visibility limit: deleted, and its job goes on under a lease (Processing on this live server)")]
    private static partial void LogLeased(ILogger logger, string messageId, string queue, TimeSpan held);

    [LoggerMessage(83, LogLevel.Warning, "Could not hand job {JobId} over to a lease near SQS's visibility limit; trying again on the next tick")]
    private static partial void LogHandOverFailed(ILogger logger, Exception exception, string jobId);

    [LoggerMessage(80, LogLevel.Warning, "Message {MessageId} (queue {Queue}) has been held for {Held}, near SQS's 12-hour visibility limit: it is extended no further and reappears when its visibility ends; a redelivery while its job still runs on a live server is held back, not run")]
    private static partial void LogVisibilityLimit(ILogger logger, string messageId, string queue, TimeSpan held);

    [LoggerMessage(81, LogLevel.Warning, "Could not extend the visibility of message {MessageId} (queue {Queue}): {Reason}; trying again on the next tick")]
    private static partial void LogExtendFailed(ILogger logger, Exception? exception, string messageId, string queue, string reason);
}
