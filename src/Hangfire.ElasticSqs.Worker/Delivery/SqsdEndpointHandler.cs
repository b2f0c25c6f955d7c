using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Worker.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Worker.Delivery;

/// <summary>
/// The sqsd endpoint: gate (sqsd, loopback), headers, body, signature — in that order, nothing parsed before the
/// signature verifies — then the envelope, and the dispatcher's decision as the HTTP status of ARCHITECTURE §3.6.
/// </summary>
internal sealed partial class SqsdEndpointHandler
{
    /// <summary>SQS's largest message: a longer body cannot be a job message.</summary>
    private const int MaximumBody = ElasticSqsStorageOptions.SqsHardMessageSizeLimit;

    private readonly ElasticSqsStorage _storage;
    private readonly SqsdRequestGate _gate;
    private readonly DeliveryDispatcher _dispatcher;
    private readonly PeriodicTaskHandler _periodicTasks;
    private readonly ILogger _logger;

    public SqsdEndpointHandler(ElasticSqsStorage storage, SqsdRequestGate gate, DeliveryDispatcher dispatcher, PeriodicTaskHandler periodicTasks, ILogger<SqsdEndpointHandler> logger)
    {
        _storage = storage;
        _gate = gate;
        _dispatcher = dispatcher;
        _periodicTasks = periodicTasks;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var gate = _gate.Evaluate(context);
        if (!gate.IsAllowed)
        {
            LogRefused(_logger, context.Connection.RemoteIpAddress?.ToString(), gate.Reason);
            await WorkerResponses.Forbidden(context.Response).ConfigureAwait(false);
            return;
        }

        if (!SqsdDelivery.TryParse(context.Request, out var headers, out var headerError))
        {
            await WorkerResponses.BadRequest(context.Response, headerError).ConfigureAwait(false);
            return;
        }

        if (headers.IsPeriodicTask)
        {
            await _periodicTasks.HandleAsync(context, headers).ConfigureAwait(false);
            return;
        }

        var result = await DeliverAsync(context.Request, headers).ConfigureAwait(false);
        LogOutcome(_logger, headers.MessageId, result.JobId, headers.ReceiveCount, result.HttpStatus, result.Status, result.Reason, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        await Respond(context.Response, result).ConfigureAwait(false);
    }

    private async Task<DeliveryResult> DeliverAsync(HttpRequest request, SqsdDelivery headers)
    {
        var body = await ReadBodyAsync(request).ConfigureAwait(false);
        if (body is null)
        {
            return new(DeliveryStatus.Malformed, $"the body is larger than SQS allows ({MaximumBody:N0} bytes)");
        }

        var signature = headers.GetAttribute(MessageAttributeNames.Signature);
        if (!_storage.Signer.Verify(body, headers.GetAttribute, signature))
        {
            return new(DeliveryStatus.Forbidden, signature is null ? "no signature" : "signature does not verify (wrong, altered, or from a retired key)");
        }

        JobEnvelope envelope;
        try
        {
            envelope = JobEnvelope.Parse(body);
        }
        catch (FormatException ex)
        {
            return new(DeliveryStatus.Malformed, ex.Message);
        }

        if (!string.Equals(envelope.JobId, headers.GetAttribute(MessageAttributeNames.JobId), StringComparison.Ordinal))
        {
            return new(DeliveryStatus.Malformed, "the job id attribute does not match the envelope", envelope.JobId);
        }

        var retry = int.TryParse(headers.GetAttribute(MessageAttributeNames.Retry), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0;
        DateTime? due = long.TryParse(headers.GetAttribute(MessageAttributeNames.Due), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime
            : null;
        return await _dispatcher.DispatchAsync(envelope, retry, due).ConfigureAwait(false);
    }

    /// <summary>The raw body bytes, or null when longer than any SQS message.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is > MaximumBody)
        {
            return null;
        }

        if (request.ContentLength is long declared)
        {
            // sqsd always sends Content-Length: read straight into an array of that size (no growing buffer, no copy).
            // The server enforces the declared length, so a short body ends the request with an error, never a gap.
            var body = new byte[declared];
            var filled = 0;
            while (filled < body.Length)
            {
                var read = await request.Body.ReadAsync(body.AsMemory(filled), CancellationToken.None).ConfigureAwait(false);
                if (read == 0)
                {
                    return body[..filled];
                }

                filled += read;
            }

            return body;
        }

        // ArrayBufferWriter refuses a capacity of 0, hence the default for a body of unknown length.
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var memory = buffer.GetMemory(4096);
            var read = await request.Body.ReadAsync(memory, CancellationToken.None).ConfigureAwait(false);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > MaximumBody)
            {
                return null;
            }
        }
    }

    private static Task Respond(HttpResponse response, DeliveryResult result) => result.HttpStatus switch
    {
        StatusCodes.Status200OK => WorkerResponses.Ok(response, result.Status.ToString()),
        StatusCodes.Status403Forbidden => WorkerResponses.Forbidden(response),
        StatusCodes.Status400BadRequest => WorkerResponses.BadRequest(response, result.Reason),
        StatusCodes.Status409Conflict => WorkerResponses.Conflict(response),
        StatusCodes.Status500InternalServerError => WorkerResponses.ServerError(response, result.Reason),
        _ => WorkerResponses.ServiceUnavailable(response, result.Reason),
    };

    [LoggerMessage(1, LogLevel.Warning, "Refused an sqsd request from {RemoteAddress}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string? remoteAddress, string reason);

    [LoggerMessage(2, LogLevel.Information, "sqsd message {MessageId} job {JobId} receive {ReceiveCount}: {HttpStatus} {Status} ({Reason}) in {ElapsedMs:0.0} ms")]
    private static partial void LogOutcome(ILogger logger, string messageId, string? jobId, int receiveCount, int httpStatus, DeliveryStatus status, string reason, double elapsedMs);
}
