using System.Globalization;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Diagnostics;
using Hangfire.ElasticSqs.Messages;
using Hangfire.Storage;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Enqueue;

/// <summary>Turns pending sends into signed SQS messages and sends them, verifying what SQS says it received.</summary>
internal sealed class JobMessagePublisher
{
    /// <summary>SQS's longest per-message delay; longer delays are chained by the worker's due-time guard.</summary>
    public static readonly TimeSpan MaximumDelay = TimeSpan.FromSeconds(900);

    private readonly IAmazonSQS _sqs;
    private readonly SqsQueueResolver _resolver;
    private readonly MessageSigner _signer;
    private readonly Func<string> _storeId;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ElasticSqsTelemetry _telemetry;

    public JobMessagePublisher(IAmazonSQS sqs, SqsQueueResolver resolver, MessageSigner signer, Func<string> storeId, TimeProvider time, ILogger logger, TimeSpan? batchLinger = null, ElasticSqsTelemetry? telemetry = null)
    {
        _telemetry = telemetry ?? new ElasticSqsTelemetry(metrics: false, tracing: false);
        _sqs = sqs;
        _resolver = resolver;
        _signer = signer;
        _storeId = storeId;
        _time = time;
        _logger = logger;
        Batcher = new SendBatcher(sqs, batchLinger ?? ElasticSqsStorageOptions.DefaultSendBatchLinger, SendAloneAsync, DelaySecondsUntil, _telemetry);
    }

    public SqsQueueResolver Resolver => _resolver;

    /// <summary>Coalesces concurrent sends to a queue into <c>SendMessageBatch</c> calls.</summary>
    public SendBatcher Batcher { get; }

    /// <summary>Test seam: changes a single <c>SendMessage</c> request just before it is sent.</summary>
    internal Action<PreparedSend, SendMessageRequest>? SingleRequestInterceptor { get; set; }

    /// <summary>
    /// Builds, checks and signs the message for a pending send, before anything is committed: an unknown queue, an
    /// oversize job or a delay on a FIFO queue throws here and the enqueue is refused. Returns null when the job no
    /// longer exists (nothing to send).
    /// </summary>
    public PreparedSend? Prepare(PendingSend pending, JobPayload? payload, int retry, string? traceParent = null)
    {
        if (payload is null)
        {
            return null;
        }

        var envelope = new JobEnvelope(pending.JobId, pending.Queue, payload.Payload, payload.CreatedAt, _storeId());
        return Prepare(pending, envelope, payload.MethodName, retry, traceParent);
    }

    /// <summary>
    /// Prepares an existing envelope again (a not-yet-due message re-sent with its remaining delay). The message
    /// carries <paramref name="traceParent"/> on, or when null the current trace context (the enqueue's).
    /// </summary>
    public PreparedSend Prepare(PendingSend pending, JobEnvelope envelope, string methodName, int retry, string? traceParent = null)
    {
        var queue = TryResolve(pending.Queue);
        var message = JobMessage.Create(envelope, retry, pending.Due, _signer, traceParent ?? _telemetry.EnqueueTraceParent(envelope.JobId, pending.Queue));

        var limit = queue?.MaximumMessageSize ?? ElasticSqsStorageOptions.SqsHardMessageSizeLimit;
        var size = message.SizeInBytes(message.ToAttributes());
        if (size > limit)
        {
            throw new JobTooLargeException(methodName, size, limit, queue?.Name ?? pending.Queue);
        }

        if (queue is { IsFifo: true } && pending.Due is not null)
        {
            throw new NotSupportedException(
                $"SQS FIFO queue '{queue.Name}' has no per-message delay, so job {methodName} cannot be scheduled or retried later on it. " +
                "Map Hangfire queues that schedule or retry jobs to standard queues.");
        }

        return new PreparedSend(pending, message, queue);
    }

    /// <summary>Sends a prepared message; throws <see cref="ElasticSqsSendException"/> when SQS did not take it intact.</summary>
    public async Task SendAsync(PreparedSend prepared, CancellationToken cancellationToken)
    {
        var queue = prepared.Queue ?? await _resolver.ResolveAsync(prepared.Pending.Queue, cancellationToken).ConfigureAwait(false);
        try
        {
            await SendToAsync(queue, prepared, cancellationToken).ConfigureAwait(false);
        }
        catch (QueueDoesNotExistException)
        {
            // The cached URL went stale (queue deleted and re-created): resolve once more, then give up.
            _resolver.Forget(prepared.Pending.Queue);
            queue = await _resolver.ResolveAsync(prepared.Pending.Queue, cancellationToken).ConfigureAwait(false);
            await SendToAsync(queue, prepared, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether an exception means "SQS could not be reached or did not answer", as opposed to a refusal.</summary>
    public static bool IsTransient(Exception exception) => exception is
        ElasticSqsSendException or HttpRequestException or TimeoutException or IOException or OperationCanceledException
        or AmazonServiceException { StatusCode: >= System.Net.HttpStatusCode.InternalServerError }
        or AmazonServiceException { InnerException: HttpRequestException or IOException or System.Net.Sockets.SocketException or TaskCanceledException }
        or AmazonClientException;

    /// <summary>The error a send reports when SQS's digests do not match what was sent.</summary>
    internal static ElasticSqsSendException Md5Mismatch(string jobId, string? md5OfBody, string? md5OfAttributes) => new(
        $"SQS returned MD5 digests for job {jobId} that do not match what was sent (body {md5OfBody}, attributes {md5OfAttributes}): the message may be corrupted; it will be sent again.");

    private Task SendToAsync(SqsQueue queue, PreparedSend prepared, CancellationToken cancellationToken)
        => Batcher.SendAsync(queue, prepared, prepared.Message.ToAttributes(), cancellationToken);

    // The single-message path: a lone send, a batch of one, or an entry sent again alone.
    private async Task SendAloneAsync(SqsQueue queue, PreparedSend prepared, CancellationToken cancellationToken)
    {
        var message = prepared.Message;
        var attributes = message.ToAttributes();
        var body = System.Text.Encoding.UTF8.GetString(message.Body);
        var request = new SendMessageRequest(queue.Url, body)
        {
            MessageAttributes = attributes,
            DelaySeconds = DelaySecondsUntil(message.Due),
        };
        if (queue.IsFifo)
        {
            request.MessageGroupId = message.JobId;
            request.MessageDeduplicationId = prepared.Pending.Nonce + "-" + message.JobId;
        }

        SingleRequestInterceptor?.Invoke(prepared, request);
        var startedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var response = await _sqs.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
        _telemetry.Sent(1, System.Diagnostics.Stopwatch.GetElapsedTime(startedAt));
        if (!string.Equals(response.MD5OfMessageBody, SqsMd5.OfBody(message.Body), StringComparison.OrdinalIgnoreCase)
            || !string.Equals(response.MD5OfMessageAttributes, SqsMd5.OfAttributes(attributes), StringComparison.OrdinalIgnoreCase))
        {
            throw Md5Mismatch(message.JobId, response.MD5OfMessageBody, response.MD5OfMessageAttributes);
        }

        _logger.LogDebug("Sent job {JobId} to SQS queue {Queue} as message {MessageId} (delay {Delay} s)", message.JobId, queue.Name, response.MessageId, request.DelaySeconds);
    }

    internal int DelaySecondsUntil(DateTime? due)
    {
        if (due is not { } d)
        {
            return 0;
        }

        var remaining = d - _time.GetUtcNow().UtcDateTime;
        return remaining <= TimeSpan.Zero ? 0 : (int)Math.Ceiling(Math.Min(remaining.TotalSeconds, MaximumDelay.TotalSeconds));
    }

    private SqsQueue? TryResolve(string hangfireQueue)
    {
        try
        {
            return _resolver.ResolveAsync(hangfireQueue, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is not UnknownQueueException && IsTransient(ex))
        {
            _logger.LogWarning(ex, "Could not resolve the SQS queue of Hangfire queue {Queue}; the send stays in the outbox", hangfireQueue);
            return null;
        }
    }
}

/// <summary>Hangfire's serialized invocation of a job, and what the envelope and errors need to know about it.</summary>
internal sealed record JobPayload(string Payload, DateTime CreatedAt, string MethodName)
{
    public static JobPayload? From(JobData? data)
    {
        if (data is null)
        {
            return null;
        }

        var invocation = data.InvocationData ?? (data.Job is { } job ? InvocationData.SerializeJob(job) : null);
        if (invocation is null)
        {
            return null;
        }

        var type = invocation.Type?.Split(',')[0] ?? "?";
        return new JobPayload(invocation.SerializePayload(excludeArguments: false), data.CreatedAt, type + "." + invocation.Method);
    }

    public static JobPayload From(Hangfire.Common.Job job, DateTime createdAt)
    {
        var invocation = InvocationData.SerializeJob(job);
        return new JobPayload(invocation.SerializePayload(excludeArguments: false), createdAt, job.Type.FullName + "." + job.Method.Name);
    }

    public static int ParseRetryCount(string? serialized)
        => int.TryParse(serialized?.Trim('"'), NumberStyles.Integer, CultureInfo.InvariantCulture, out var retry) && retry >= 0 ? retry : 0;
}
