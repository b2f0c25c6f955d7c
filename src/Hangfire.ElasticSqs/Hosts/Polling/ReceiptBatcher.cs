using System.Globalization;
using System.Threading.Channels;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Hosts.Polling;

/// <summary>
/// Deletes messages and changes their visibility in batches: what arrives within a short linger goes out as
/// <c>DeleteMessageBatch</c> / <c>ChangeMessageVisibilityBatch</c> calls of up to 10 entries per queue. A worker never
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

    public void Delete(PolledMessage message) => _pending.Writer.TryWrite(new Receipt(message, null));

    /// <summary>Makes the message visible again after <paramref name="delay"/> (zero: at once, for another consumer).</summary>
    public void ChangeVisibility(PolledMessage message, TimeSpan delay) => _pending.Writer.TryWrite(new Receipt(message, (int)Math.Ceiling(delay.TotalSeconds)));

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
        var batch = new List<Receipt>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Give the other workers finishing now a moment to join this call.
            await Task.Delay(Linger).ConfigureAwait(false);
            while (reader.TryRead(out var receipt))
            {
                batch.Add(receipt);
            }

            foreach (var group in batch.GroupBy(r => (r.Message.Queue.Url, Delete: r.VisibilitySeconds is null)))
            {
                foreach (var chunk in group.Chunk(MaxEntries))
                {
                    await _calls.WaitAsync().ConfigureAwait(false);
                    _ = SendAsync(group.Key.Url, group.Key.Delete, chunk);
                }
            }

            batch.Clear();
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

    private readonly record struct Receipt(PolledMessage Message, int? VisibilitySeconds);
}
