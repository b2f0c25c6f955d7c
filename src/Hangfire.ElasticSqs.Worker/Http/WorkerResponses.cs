using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Hangfire.ElasticSqs.Worker.Http;

/// <summary>
/// Writes the answers of the sqsd contract (docs/http-contract.md) with a short plain-text body.
/// sqsd deletes a message on exactly 200 and retries on anything else, so there is deliberately no
/// 202 or 204 here.
/// </summary>
internal static class WorkerResponses
{
    /// <summary>Content type of every answer.</summary>
    public const string ContentType = "text/plain; charset=utf-8";

    /// <summary>200: the message is done with; sqsd deletes it.</summary>
    /// <param name="response">The response to write.</param>
    /// <param name="message">Short body, e.g. "succeeded" or "duplicate".</param>
    /// <returns>The write.</returns>
    public static Task Ok(HttpResponse response, string message = "OK") =>
        Write(response, StatusCodes.Status200OK, message);

    /// <summary>400: signed but malformed; sqsd retries it until the dead-letter queue takes it.</summary>
    /// <param name="response">The response to write.</param>
    /// <param name="message">What was malformed; must not contain secrets or raw payload.</param>
    /// <returns>The write.</returns>
    public static Task BadRequest(HttpResponse response, string message = "Bad Request") =>
        Write(response, StatusCodes.Status400BadRequest, message);

    /// <summary>403 with a fixed body: the reason goes to the log only, never to the caller.</summary>
    /// <param name="response">The response to write.</param>
    /// <returns>The write.</returns>
    public static Task Forbidden(HttpResponse response) =>
        Write(response, StatusCodes.Status403Forbidden, "Forbidden");

    /// <summary>404: e.g. a periodic task naming no registered recurring job.</summary>
    /// <param name="response">The response to write.</param>
    /// <param name="message">Short body.</param>
    /// <returns>The write.</returns>
    public static Task NotFound(HttpResponse response, string message = "Not Found") =>
        Write(response, StatusCodes.Status404NotFound, message);

    /// <summary>409: the same job is processing on a live server; sqsd retries later.</summary>
    /// <param name="response">The response to write.</param>
    /// <param name="message">Short body.</param>
    /// <returns>The write.</returns>
    public static Task Conflict(HttpResponse response, string message = "Job is already processing") =>
        Write(response, StatusCodes.Status409Conflict, message);

    /// <summary>500: a verified job that cannot run here; sqsd retries it and SQS finally moves it to the dead-letter queue.</summary>
    /// <param name="response">The response to write.</param>
    /// <param name="message">Short body.</param>
    /// <returns>The write.</returns>
    public static Task ServerError(HttpResponse response, string message = "Internal Server Error") =>
        Write(response, StatusCodes.Status500InternalServerError, message);

    /// <summary>
    /// 503: shutting down, saturated, or storage/SQS unreachable. sqsd ignores <c>Retry-After</c> (it waits
    /// ErrorVisibilityTimeout); the header is only a hint for people and other clients.
    /// </summary>
    /// <param name="response">The response to write.</param>
    /// <param name="message">Short body.</param>
    /// <param name="retryAfter">Optional hint, written in whole seconds (at least 1).</param>
    /// <returns>The write.</returns>
    public static Task ServiceUnavailable(
        HttpResponse response, string message = "Service Unavailable", TimeSpan? retryAfter = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (retryAfter is { } delay)
        {
            var seconds = Math.Max(1, (long)Math.Ceiling(delay.TotalSeconds));
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return Write(response, StatusCodes.Status503ServiceUnavailable, message);
    }

    // The job's outcome is already recorded when this runs, so the write ignores RequestAborted:
    // a vanished client (nginx timing out) simply misses the answer.
    private static Task Write(HttpResponse response, int status, string body)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        response.ContentLength = Encoding.UTF8.GetByteCount(body);
        return response.WriteAsync(body, Encoding.UTF8, CancellationToken.None);
    }
}
