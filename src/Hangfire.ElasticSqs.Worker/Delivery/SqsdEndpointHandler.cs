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
    private readonly UnverifiedBodyBudget _budget;
    private readonly ILogger _logger;

    // The pipeline is attached by the worker host when processing is on; only then do requests reach this handler.
    public SqsdEndpointHandler(Lazy<PushHost> pipeline, SqsdRequestGate gate, PeriodicTaskHandler periodicTasks, UnverifiedBodyBudget budget, ILogger<SqsdEndpointHandler> logger)
    {
        _budget = budget;
        _pipeline = pipeline;
        _gate = gate;
        _periodicTasks = periodicTasks;
        _logger = logger;
    }

    /// <summary>The job-message path (<c>HttpPath</c>): a periodic task sent here is refused with 400.</summary>
    public Task HandleJobMessageAsync(HttpContext context) => HandleAsync(context, RequestKinds.JobMessage);

    /// <summary>The periodic-task path: a job message sent here is refused with 400.</summary>
    public Task HandlePeriodicTaskAsync(HttpContext context) => HandleAsync(context, RequestKinds.PeriodicTask);

    /// <summary>One path for both kinds (the application mapped them to the same pattern).</summary>
    public Task HandleAsync(HttpContext context) => HandleAsync(context, RequestKinds.JobMessage | RequestKinds.PeriodicTask);

    private async Task HandleAsync(HttpContext context, RequestKinds served)
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

        var kind = headers.IsPeriodicTask ? RequestKinds.PeriodicTask : RequestKinds.JobMessage;
        if ((served & kind) == 0)
        {
            LogWrongPath(_logger, LogValue.Sanitize(headers.MessageId), kind);
            await WorkerResponses.BadRequest(context.Response, kind == RequestKinds.PeriodicTask
                ? "A periodic task (X-Aws-Sqsd-Taskname) was sent to the job-message path; cron.yaml entries must use the periodic-task path."
                : "A job message was sent to the periodic-task path; job messages go to the worker's HttpPath.").ConfigureAwait(false);
            return;
        }

        if (headers.IsPeriodicTask)
        {
            await _periodicTasks.HandleAsync(context, headers).ConfigureAwait(false);
            return;
        }

        var result = await DeliverAsync(context.Request, headers).ConfigureAwait(false);
        LogOutcome(_logger, LogValue.Sanitize(headers.MessageId), result.JobId, headers.ReceiveCount, HttpStatusOf(result), result.Status, result.Reason, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        await Respond(context.Response, result).ConfigureAwait(false);
    }

    private async Task<DeliveryResult> DeliverAsync(HttpRequest request, SqsdDelivery headers)
    {
        if (request.ContentLength is > MaximumBody)
        {
            return new(DeliveryStatus.Malformed, $"the body is larger than SQS allows ({MaximumBody:N0} bytes)");
        }

        // sqsd always sends Content-Length; a body of unknown length may grow to the largest message.
        var reserved = (int)(request.ContentLength ?? MaximumBody);
        if (!_budget.TryReserve(reserved))
        {
            return new(DeliveryStatus.Unavailable, "too many request bodies are waiting for their signature check; try again later");
        }

        VerifiedMessage message;
        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is null ? MaximumBody + 1 : Math.Max(reserved, 1));
        try
        {
            var length = await ReadBodyAsync(request, buffer).ConfigureAwait(false);
            if (length < 0)
            {
                return new(DeliveryStatus.Malformed, $"the body is larger than SQS allows ({MaximumBody:N0} bytes)");
            }

            if (!_pipeline.Value.TryRead(buffer.AsSpan(0, length), headers.GetAttribute, out message, out var refusal))
            {
                return refusal;
            }
        }
        finally
        {
            // The verified message holds its own copies: the body's memory is free before the job runs.
            ArrayPool<byte>.Shared.Return(buffer);
            _budget.Release(reserved);
        }

        return await _pipeline.Value.HandOffAsync(message).ConfigureAwait(false);
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

    /// <summary>
    /// Reads the raw body into <paramref name="buffer"/> (at least Content-Length bytes, or the largest message when the
    /// length is unknown); the byte count, or -1 when the body is longer than any SQS message.
    /// </summary>
    private static async Task<int> ReadBodyAsync(HttpRequest request, byte[] buffer)
    {
        // The server enforces a declared length, so a short body ends the request with an error, never a gap.
        var declared = request.ContentLength;
        var limit = (int)(declared ?? MaximumBody);
        var filled = 0;
        while (declared is null || filled < limit)
        {
            var room = buffer.Length - filled;
            if (room == 0)
            {
                return -1;
            }

            var read = await request.Body.ReadAsync(buffer.AsMemory(filled, room), CancellationToken.None).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
            if (filled > limit)
            {
                return -1;
            }
        }

        return filled;
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

    [LoggerMessage(3, LogLevel.Warning, "Refused sqsd message {MessageId} with 400: a {Kind} sent to the other kind's path")]
    private static partial void LogWrongPath(ILogger logger, string? messageId, RequestKinds kind);

    [Flags]
    private enum RequestKinds
    {
        JobMessage = 1,
        PeriodicTask = 2,
    }

    [LoggerMessage(1, LogLevel.Warning, "Refused an sqsd request from {RemoteAddress}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string? remoteAddress, string reason);

    [LoggerMessage(2, LogLevel.Information, "sqsd message {MessageId} job {JobId} receive {ReceiveCount}: {HttpStatus} {Status} ({Reason}) in {ElapsedMs:0.0} ms")]
    private static partial void LogOutcome(ILogger logger, string? messageId, string? jobId, int receiveCount, int httpStatus, DeliveryStatus status, string reason, double elapsedMs);
}
