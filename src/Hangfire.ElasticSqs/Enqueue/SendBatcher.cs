using System.Diagnostics;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Messages;

namespace Hangfire.ElasticSqs.Enqueue;

/// <summary>
/// Client-side batching of sends (the .NET SDK has no buffered client): concurrent sends to the same SQS queue are
/// coalesced into <c>SendMessageBatch</c> calls.
/// <list type="bullet">
/// <item>A send to a queue with nothing in flight goes out at once, through the ordinary single <c>SendMessage</c>
/// path: a lone send is not delayed.</item>
/// <item>A send that arrives while other sends to its queue are in flight waits for company, at most
/// <see cref="Linger"/> (zero: no wait), or until its batch is full (10 entries or 1 MiB in total); then its batch
/// goes out, alongside the ones in flight. The number of calls in flight therefore follows demand (a call opens
/// only for a full batch or one that has waited out the linger); <see cref="MaxInFlightPerQueue"/> is a ceiling
/// against runaway load, not a target. Sends that find every slot taken are coalesced until one frees.</item>
/// <item>A batch of one is sent as a single <c>SendMessage</c>; entries of a batch have ids unique within it.</item>
/// <item>Each entry's MD5s are checked; an entry SQS failed is sent once more alone when the fault was SQS's, and
/// otherwise reported to its own caller as an <see cref="ElasticSqsSendException"/>. A batch SQS refuses as a whole
/// for what an entry contains (400, for example one entry too large) is sent again entry by entry, so the error
/// reaches only the caller whose message caused it; throttling, credential errors and a deleted queue reach every
/// caller of the batch as they are.</item>
/// </list>
/// </summary>
internal sealed class SendBatcher
{
    /// <summary>SQS's limit on entries per <c>SendMessageBatch</c>.</summary>
    public const int MaxEntries = 10;

    /// <summary>SQS's limit on the sum of the sizes of a batch's messages.</summary>
    public const int MaxBatchBytes = 1024 * 1024;

    /// <summary>
    /// Calls in flight to one queue at most; sends beyond it are coalesced until a call completes. Throughput is
    /// bound by round trips (10 messages per call per round trip), so the ceiling is this × 10 / latency: 16,000
    /// messages/s per queue at 20 ms.
    /// </summary>
    public const int MaxInFlightPerQueue = 32;

    private readonly IAmazonSQS _sqs;
    private readonly Func<SqsQueue, PreparedSend, CancellationToken, Task> _sendSingle;
    private readonly Func<DateTime?, int> _delaySeconds;
    private readonly Diagnostics.ElasticSqsTelemetry? _telemetry;
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);
    private long _singleCalls;
    private long _batchCalls;
    private long _batchedEntries;
    private long _lingerWaits;
    private int _peakInFlight;

    public SendBatcher(IAmazonSQS sqs, TimeSpan linger, Func<SqsQueue, PreparedSend, CancellationToken, Task> sendSingle, Func<DateTime?, int> delaySeconds, Diagnostics.ElasticSqsTelemetry? telemetry = null)
    {
        _telemetry = telemetry;
        _sqs = sqs;
        _delaySeconds = delaySeconds;
        Linger = linger < TimeSpan.Zero ? TimeSpan.Zero : linger;
        _sendSingle = sendSingle;
    }

    /// <summary>How long a send that finds others in flight waits for more sends to fill its batch.</summary>
    public TimeSpan Linger { get; }

    /// <summary>Single <c>SendMessage</c> calls made so far (lone sends, batches of one, retries).</summary>
    public long SingleCalls => Interlocked.Read(ref _singleCalls);

    /// <summary><c>SendMessageBatch</c> calls made so far.</summary>
    public long BatchCalls => Interlocked.Read(ref _batchCalls);

    /// <summary>Messages sent in <c>SendMessageBatch</c> calls so far.</summary>
    public long BatchedEntries => Interlocked.Read(ref _batchedEntries);

    /// <summary>How many times sends had to wait for company (the linger timer was armed); a lone send never does.</summary>
    public long LingerWaits => Interlocked.Read(ref _lingerWaits);

    /// <summary>The most calls in flight to one queue at once so far.</summary>
    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    /// <summary>Test seam: changes a batch entry just before it is sent (for example to make SQS refuse it).</summary>
    internal Action<PreparedSend, SendMessageBatchRequestEntry>? BatchEntryInterceptor { get; set; }

    /// <summary>Sends one prepared message to a resolved queue, batched with concurrent sends to the same queue.</summary>
    public Task SendAsync(SqsQueue queue, PreparedSend prepared, Dictionary<string, MessageAttributeValue> attributes, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entry = new Entry(prepared, attributes, prepared.Message.SizeInBytes(attributes), Stopwatch.GetTimestamp(), cancellationToken);
        Lane lane;
        lock (_lanes)
        {
            if (!_lanes.TryGetValue(queue.Url, out lane!))
            {
                lane = new Lane();
                _lanes.Add(queue.Url, lane);
            }
        }

        List<List<Entry>>? ready;
        lock (lane)
        {
            lane.Pending.Add(entry);
            ready = TakeReady(queue, lane, force: false);
        }

        Start(queue, lane, ready);
        if (cancellationToken.CanBeCanceled && !entry.Completion.Task.IsCompleted)
        {
            entry.Registration = cancellationToken.Register(() =>
            {
                lock (lane)
                {
                    if (!lane.Pending.Remove(entry))
                    {
                        return; // Already on its way: the call's outcome decides.
                    }
                }

                entry.Completion.TrySetCanceled(cancellationToken);
            });
        }

        return entry.Completion.Task;
    }

    // Under the lane's lock: the batches to send now. Arms the linger timer when sends wait for company.
    private List<List<Entry>>? TakeReady(SqsQueue queue, Lane lane, bool force)
    {
        List<List<Entry>>? ready = null;
        while (lane.Pending.Count > 0 && lane.InFlight < MaxInFlightPerQueue)
        {
            var (count, full) = NextBatchSize(lane.Pending);
            var waited = Stopwatch.GetElapsedTime(lane.Pending[0].Arrived);
            if (lane.InFlight == 0 || full || force || waited >= Linger)
            {
                var batch = lane.Pending.GetRange(0, count);
                lane.Pending.RemoveRange(0, count);
                lane.InFlight++;
                if (lane.InFlight > _peakInFlight)
                {
                    _peakInFlight = lane.InFlight; // Under a lane's lock, not a global one: a rare lost update only understates.
                }

                (ready ??= []).Add(batch);
                continue;
            }

            if (!lane.TimerArmed)
            {
                lane.TimerArmed = true;
                Interlocked.Increment(ref _lingerWaits);
                _ = FireAfterAsync(queue, lane, Linger - waited);
            }

            break;
        }

        return ready;
    }

    private static (int Count, bool Full) NextBatchSize(List<Entry> pending)
    {
        var bytes = 0;
        var count = 0;
        while (count < pending.Count && count < MaxEntries)
        {
            var size = pending[count].Size;
            if (count > 0 && bytes + size > MaxBatchBytes)
            {
                return (count, true);
            }

            bytes += size;
            count++;
        }

        return (count, count == MaxEntries);
    }

    private async Task FireAfterAsync(SqsQueue queue, Lane lane, TimeSpan delay)
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay).ConfigureAwait(false);
        }

        List<List<Entry>>? ready;
        lock (lane)
        {
            lane.TimerArmed = false;
            ready = TakeReady(queue, lane, force: true);
        }

        Start(queue, lane, ready);
    }

    private void Start(SqsQueue queue, Lane lane, List<List<Entry>>? ready)
    {
        if (ready is null)
        {
            return;
        }

        foreach (var batch in ready)
        {
            _ = RunAsync(queue, lane, batch);
        }
    }

    private async Task RunAsync(SqsQueue queue, Lane lane, List<Entry> batch)
    {
        try
        {
            if (batch.Count == 1)
            {
                await SendAloneAsync(queue, batch[0], batch[0].CancellationToken).ConfigureAwait(false);
            }
            else
            {
                await SendBatchAsync(queue, batch).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            foreach (var entry in batch)
            {
                entry.Fail(ex);
            }
        }
        finally
        {
            List<List<Entry>>? ready;
            lock (lane)
            {
                lane.InFlight--;
                ready = TakeReady(queue, lane, force: false);
            }

            Start(queue, lane, ready);
        }
    }

    private async Task SendAloneAsync(SqsQueue queue, Entry entry, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _singleCalls);
        try
        {
            await _sendSingle(queue, entry.Prepared, cancellationToken).ConfigureAwait(false);
            entry.Succeed();
        }
        catch (Exception ex)
        {
            entry.Fail(ex);
        }
    }

    private async Task SendBatchAsync(SqsQueue queue, List<Entry> batch)
    {
        var request = new SendMessageBatchRequest { QueueUrl = queue.Url, Entries = new List<SendMessageBatchRequestEntry>(batch.Count) };
        for (var i = 0; i < batch.Count; i++)
        {
            var prepared = batch[i].Prepared;
            var message = prepared.Message;
            var requestEntry = new SendMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Text.Encoding.UTF8.GetString(message.Body))
            {
                MessageAttributes = batch[i].Attributes,
                DelaySeconds = _delaySeconds(message.Due),
            };
            if (queue.IsFifo)
            {
                requestEntry.MessageGroupId = message.JobId;
                requestEntry.MessageDeduplicationId = prepared.Pending.Nonce + "-" + message.JobId;
            }

            BatchEntryInterceptor?.Invoke(prepared, requestEntry);
            request.Entries.Add(requestEntry);
        }

        SendMessageBatchResponse response;
        Interlocked.Increment(ref _batchCalls);
        Interlocked.Add(ref _batchedEntries, batch.Count);
        try
        {
            var startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            response = await _sqs.SendMessageBatchAsync(request, CancellationToken.None).ConfigureAwait(false);
            _telemetry?.Sent(batch.Count, System.Diagnostics.Stopwatch.GetElapsedTime(startedAt));
        }
        catch (AmazonServiceException ex) when (IsRefusalOfSomeEntry(ex))
        {
            // Refused as a whole (one entry too large, one invalid): each alone, so the error reaches its own caller only.
            await Task.WhenAll(batch.Select(entry => SendAloneAsync(queue, entry, CancellationToken.None))).ConfigureAwait(false);
            return;
        }

        var retries = new List<Entry>();
        foreach (var result in response.Successful ?? [])
        {
            if (!TryEntry(batch, result.Id, out var entry))
            {
                continue;
            }

            var message = entry.Prepared.Message;
            if (!string.Equals(result.MD5OfMessageBody, SqsMd5.OfBody(message.Body), StringComparison.OrdinalIgnoreCase)
                || !string.Equals(result.MD5OfMessageAttributes, SqsMd5.OfAttributes(entry.Attributes), StringComparison.OrdinalIgnoreCase))
            {
                entry.Fail(JobMessagePublisher.Md5Mismatch(message.JobId, result.MD5OfMessageBody, result.MD5OfMessageAttributes));
            }
            else
            {
                entry.Succeed();
            }
        }

        foreach (var failure in response.Failed ?? [])
        {
            if (!TryEntry(batch, failure.Id, out var entry))
            {
                continue;
            }

            if (failure.SenderFault == true)
            {
                entry.Fail(new ElasticSqsSendException(
                    $"SQS refused the message of job {entry.Prepared.Message.JobId} ({failure.Code}: {failure.Message})."));
            }
            else
            {
                retries.Add(entry); // SQS's own fault: once more, alone.
            }
        }

        foreach (var entry in batch)
        {
            if (!entry.Completion.Task.IsCompleted && !retries.Contains(entry))
            {
                entry.Fail(new ElasticSqsSendException(
                    $"SQS did not report on the message of job {entry.Prepared.Message.JobId} in its SendMessageBatch reply; it will be sent again."));
            }
        }

        if (retries.Count > 0)
        {
            await Task.WhenAll(retries.Select(entry => SendAloneAsync(queue, entry, CancellationToken.None))).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether SQS refused the batch for what one of its entries contains (sending the entries alone tells whose);
    /// not for a reason every entry shares (throttling, credentials, a deleted queue), which each caller gets as is.
    /// </summary>
    private static bool IsRefusalOfSomeEntry(AmazonServiceException ex)
        => ex is not QueueDoesNotExistException
            && ex.StatusCode is System.Net.HttpStatusCode.BadRequest or System.Net.HttpStatusCode.RequestEntityTooLarge
            && ex.ErrorCode?.Contains("Throttl", StringComparison.OrdinalIgnoreCase) != true
            && ex.ErrorCode?.Contains("AccessDenied", StringComparison.OrdinalIgnoreCase) != true
            && ex.ErrorCode?.Contains("Signature", StringComparison.OrdinalIgnoreCase) != true
            && ex.ErrorCode?.Contains("Token", StringComparison.OrdinalIgnoreCase) != true;

    private static bool TryEntry(List<Entry> batch, string? id, out Entry entry)
    {
        if (int.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index) && index >= 0 && index < batch.Count)
        {
            entry = batch[index];
            return true;
        }

        entry = null!;
        return false;
    }

    private sealed class Lane
    {
        public List<Entry> Pending { get; } = [];

        public int InFlight { get; set; }

        public bool TimerArmed { get; set; }
    }

    private sealed class Entry(PreparedSend prepared, Dictionary<string, MessageAttributeValue> attributes, int size, long arrived, CancellationToken cancellationToken)
    {
        public PreparedSend Prepared { get; } = prepared;

        public Dictionary<string, MessageAttributeValue> Attributes { get; } = attributes;

        public int Size { get; } = size;

        public long Arrived { get; } = arrived;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public CancellationTokenRegistration Registration { get; set; }

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Succeed()
        {
            Completion.TrySetResult();
            Registration.Dispose();
        }

        public void Fail(Exception error)
        {
            Completion.TrySetException(error);
            Registration.Dispose();
        }
    }
}
