using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Hosts.Polling;

/// <summary>
/// Deletes messages and changes their visibility in batches: <c>DeleteMessageBatch</c> /
/// <c>ChangeMessageVisibilityBatch</c> calls of up to 10 entries per queue. A full batch goes out at once; a partial one
/// waits until its oldest entry has lingered 5 ms, so that at saturation nearly every call carries 10 entries. A worker never
/// waits for these calls: a failed delete is harmless (the redelivery finds the job finished and is skipped), and a
/// failed release only means the message reappears at its visibility timeout.
/// </summary>
internal sealed partial class ReceiptBatcher : IAsyncDisposable
{
    private const int MaxEntries = 10;
    private const int MaxCallsInFlight = 32;
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(5);

    private readonly IAmazonSQS _sqs;
    private readonly ILogger _logger;
    private readonly Channel<Receipt> _pending = Channel.CreateUnbounded<Receipt>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _calls = new(MaxCallsInFlight, MaxCallsInFlight);
    private readonly Task _loop;

    public ReceiptBatcher(IAmazonSQS sqs, ILogger logger)
    {
        _sqs = sqs;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public void Delete(PolledMessage message) => _pending.Writer.TryWrite(new Receipt(message, null, Stopwatch.GetTimestamp()));

    /// <summary>Makes the message visible again after <paramref name="delay"/> (zero: at once, for another consumer).</summary>
    public void ChangeVisibility(PolledMessage message, TimeSpan delay) => _pending.Writer.TryWrite(new Receipt(message, (int)Math.Ceiling(delay.TotalSeconds), Stopwatch.GetTimestamp()));

    /// <summary>Sends what is pending and waits for the calls under way.</summary>
    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        for (var i = 0; i < MaxCallsInFlight; i++)
        {
            await _calls.WaitAsync().ConfigureAwait(false);
        }

        _calls.Dispose();
    }

    private async Task RunAsync()
    {
        var reader = _pending.Reader;
        var groups = new Dictionary<(string Url, bool Delete), List<Receipt>>();
        Task<bool>? arrival = null;
        var open = true;
        while (open || groups.Count > 0)
        {
            if (groups.Count == 0)
            {
                arrival ??= reader.WaitToReadAsync().AsTask();
                open = await arrival.ConfigureAwait(false);
                arrival = null;
            }
            else if (open)
            {
                // A partial batch waits for more entries until its oldest has lingered; a full one never waits.
                var oldest = groups.Values.Min(g => g[0].At);
                var left = Linger - Stopwatch.GetElapsedTime(oldest);
                if (left > TimeSpan.Zero)
                {
                    arrival ??= reader.WaitToReadAsync().AsTask();
                    if (await Task.WhenAny(arrival, Task.Delay(left)).ConfigureAwait(false) == arrival)
                    {
                        open = await arrival.ConfigureAwait(false);
                        arrival = null;
                    }
                }
            }

            while (reader.TryRead(out var receipt))
            {
                var key = (receipt.Message.Queue.Url, receipt.VisibilitySeconds is null);
                if (!groups.TryGetValue(key, out var group))
                {
                    groups[key] = group = [];
                }

                group.Add(receipt);
            }

            foreach (var (key, group) in groups.ToList())
            {
                // Full batches go at once; the rest once the oldest entry has lingered, or when closing.
                var lingered = !open || Stopwatch.GetElapsedTime(group[0].At) >= Linger;
                var send = lingered ? group.Count : group.Count / MaxEntries * MaxEntries;
                for (var i = 0; i < send; i += MaxEntries)
                {
                    await _calls.WaitAsync().ConfigureAwait(false);
                    _ = SendAsync(key.Url, key.Delete, group.GetRange(i, Math.Min(MaxEntries, send - i)).ToArray());
                }

                group.RemoveRange(0, send);
                if (group.Count == 0)
                {
                    groups.Remove(key);
                }
            }
        }
    }

    private async Task SendAsync(string queueUrl, bool delete, Receipt[] chunk)
    {
        try
        {
            var failed = delete
                ? (await _sqs.DeleteMessageBatchAsync(new DeleteMessageBatchRequest(queueUrl, [.. chunk.Select((r, i) => new DeleteMessageBatchRequestEntry(Id(i), r.Message.ReceiptHandle))])).ConfigureAwait(false)).Failed
                : (await _sqs.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest(queueUrl, [.. chunk.Select((r, i) => new ChangeMessageVisibilityBatchRequestEntry(Id(i), r.Message.ReceiptHandle) { VisibilityTimeout = r.VisibilitySeconds!.Value })])).ConfigureAwait(false)).Failed;
            foreach (var entry in failed ?? [])
            {
                var message = chunk[int.Parse(entry.Id, CultureInfo.InvariantCulture)].Message;
                LogEntryFailed(_logger, delete ? "delete" : "visibility change", message.MessageId, message.Queue.HangfireQueue, entry.Code ?? entry.Message ?? "unknown");
            }
        }
#pragma warning disable CA1031 // Never fail a worker over this: log it, and SQS redelivers the message at its visibility timeout.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogCallFailed(_logger, ex, delete ? "DeleteMessageBatch" : "ChangeMessageVisibilityBatch", chunk.Length, chunk[0].Message.Queue.HangfireQueue);
        }
        finally
        {
            _calls.Release();
        }
    }

    private static string Id(int index) => index.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(70, LogLevel.Warning, "SQS {Operation} of message {MessageId} (queue {Queue}) failed: {Code}; the message reappears at its visibility timeout and a finished job's redelivery is skipped")]
    private static partial void LogEntryFailed(ILogger logger, string operation, string messageId, string queue, string code);

    [LoggerMessage(71, LogLevel.Warning, "SQS {Operation} of {Count} message(s) on queue {Queue} failed; they reappear at their visibility timeout and finished jobs' redeliveries are skipped")]
    private static partial void LogCallFailed(ILogger logger, Exception exception, string operation, int count, string queue);

    /// <param name="Message">The message.</param>
    /// <param name="VisibilitySeconds">Null for a delete, else the new visibility timeout.</param>
    /// <param name="At">When it was asked for (a <see cref="Stopwatch"/> timestamp), for the linger.</param>
    private readonly record struct Receipt(PolledMessage Message, int? VisibilitySeconds, long At);
}
