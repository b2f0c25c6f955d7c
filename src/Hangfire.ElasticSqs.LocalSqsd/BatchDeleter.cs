using System.Threading.Channels;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>
/// Deletes successfully delivered messages with <c>DeleteMessageBatch</c>, as sqsd does: a batch goes out
/// when it holds 10 receipt handles or when its oldest handle has waited the configured delay. Completing
/// the deleter flushes what is pending at once.
/// </summary>
internal sealed class BatchDeleter
{
    private const int MaxBatchSize = 10;

    private readonly IAmazonSQS _sqs;
    private readonly string _queueUrl;
    private readonly TimeSpan _delay;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<string> _receiptHandles = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private Task _loop = Task.CompletedTask;

    public BatchDeleter(IAmazonSQS sqs, string queueUrl, TimeSpan delay, TimeProvider time, ILogger logger)
    {
        _sqs = sqs;
        _queueUrl = queueUrl;
        _delay = delay;
        _time = time;
        _logger = logger;
    }

    public void Start() => _loop = Task.Run(RunAsync);

    public void Add(string receiptHandle) => _receiptHandles.Writer.TryWrite(receiptHandle);

    /// <summary>Stops accepting handles, sends the pending ones and waits for the last batch.</summary>
    public Task CompleteAsync()
    {
        _receiptHandles.Writer.TryComplete();
        return _loop;
    }

    private async Task RunAsync()
    {
        var reader = _receiptHandles.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var batch = new List<string>(MaxBatchSize);
            if (_delay == TimeSpan.Zero)
            {
                while (batch.Count < MaxBatchSize && reader.TryRead(out var handle))
                {
                    batch.Add(handle);
                }
            }
            else
            {
                using var deadline = new CancellationTokenSource(_delay, _time);
                await FillAsync(reader, batch, deadline.Token).ConfigureAwait(false);
            }

            await DeleteAsync(batch).ConfigureAwait(false);
        }
    }

    private static async Task FillAsync(ChannelReader<string> reader, List<string> batch, CancellationToken deadline)
    {
        while (batch.Count < MaxBatchSize)
        {
            if (reader.TryRead(out var handle))
            {
                batch.Add(handle);
                continue;
            }

            try
            {
                // Returns false once the deleter is completed and drained: flush without waiting.
                if (!await reader.WaitToReadAsync(deadline).ConfigureAwait(false))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task DeleteAsync(List<string> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var request = new DeleteMessageBatchRequest
        {
            QueueUrl = _queueUrl,
            Entries = batch.Select((handle, i) => new DeleteMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), handle)).ToList(),
        };
        // Never let a failed delete end the loop: the messages merely come back and are delivered again.
        try
        {
            var response = await _sqs.DeleteMessageBatchAsync(request).ConfigureAwait(false);
            if (response.Failed is { Count: > 0 } failed)
            {
                _logger.DeleteFailed(null, failed.Count);
            }
        }
        catch (Exception exception)
        {
            _logger.DeleteFailed(exception, batch.Count);
        }
    }
}
