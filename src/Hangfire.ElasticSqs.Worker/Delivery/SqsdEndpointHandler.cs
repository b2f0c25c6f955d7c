using System.Buffers;
using System.Diagnostics;
using Hangfire.ElasticSqs.Hosts;
using Hangfire.ElasticSqs.Pipeline;
using Hangfire.ElasticSqs.Worker.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Worker.Delivery;

/// <summary>
/// The sqsd host: gate (sqsd, loopback), headers, body — then the core's delivery pipeline (signature first, nothing
/// parsed before it verifies), whose result becomes the HTTP status sqsd acts on (docs/http-contract.md: only
/// 200 deletes the message).
/// </summary>
internal sealed partial class SqsdEndpointHandler
{
    /// <summary>SQS's largest message: a longer body cannot be a job message.</summary>
    private const int MaximumBody = ElasticSqsStorageOptions.SqsHardMessageSizeLimit;

    private readonly Lazy<PushHost> _pipeline;
    private readonly SqsdRequestGate _gate;
    private readonly PeriodicTaskHandler _periodicTasks;
    private readonly ILogger _logger;

    // The pipeline is attached by the worker host when processing is on; only then do requests reach this handler.
    public SqsdEndpointHandler(Lazy<PushHost> pipeline, SqsdRequestGate gate, PeriodicTaskHandler periodicTasks, ILogger<SqsdEndpointHandler> logger)
    {
        _pipeline = pipeline;
        _gate = gate;
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
        LogOutcome(_logger, headers.MessageId, result.JobId, headers.ReceiveCount, HttpStatusOf(result), result.Status, result.Reason, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        await Respond(context.Response, result).ConfigureAwait(false);
    }

    private async Task<DeliveryResult> DeliverAsync(HttpRequest request, SqsdDelivery headers)
    {
        var body = await ReadBodyAsync(request).ConfigureAwait(false);
        if (body is null)
        {
            return new(DeliveryStatus.Malformed, $"the body is larger than SQS allows ({MaximumBody:N0} bytes)");
        }

        return await _pipeline.Value.DeliverAsync(body, headers.GetAttribute).ConfigureAwait(false);
    }

    /// <summary>sqsd deletes a message only on exactly 200; anything else is delivered again, until the DLQ.</summary>
    internal static int HttpStatusOf(DeliveryResult result) => result.Status switch
    {
        DeliveryStatus.Completed or DeliveryStatus.Leased or DeliveryStatus.Redelayed or DeliveryStatus.Skipped => StatusCodes.Status200OK,
        DeliveryStatus.AlreadyProcessing => StatusCodes.Status409Conflict,
        DeliveryStatus.Malformed => StatusCodes.Status400BadRequest,
        DeliveryStatus.Forbidden => StatusCodes.Status403Forbidden,
        DeliveryStatus.Unrunnable => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status503ServiceUnavailable,
    };

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

    private static Task Respond(HttpResponse response, DeliveryResult result) => HttpStatusOf(result) switch
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
