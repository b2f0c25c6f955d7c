using Hangfire.ElasticSqs.Worker.Http;
using Microsoft.AspNetCore.Http;

namespace Hangfire.ElasticSqs.Worker.Tests.Http;

public class WorkerResponsesTests
{
    private static readonly (Func<HttpResponse, Task> Write, int Status, string Body)[] Cases =
    [
        (r => WorkerResponses.Ok(r), 200, "OK"),
        (r => WorkerResponses.Ok(r, "duplicate"), 200, "duplicate"),
        (r => WorkerResponses.BadRequest(r, "malformed envelope"), 400, "malformed envelope"),
        (WorkerResponses.Forbidden, 403, "Forbidden"),
        (r => WorkerResponses.NotFound(r, "unknown periodic task"), 404, "unknown periodic task"),
        (r => WorkerResponses.Conflict(r), 409, "Job is already processing"),
        (r => WorkerResponses.ServiceUnavailable(r), 503, "Service Unavailable"),
    ];

    [TestCaseSource(nameof(Cases))]
    public async Task Writes_status_and_a_short_plain_text_body((Func<HttpResponse, Task> Write, int Status, string Body) @case)
    {
        var (response, body) = NewResponse();

        await @case.Write(response);

        response.StatusCode.Should().Be(@case.Status).And.NotBe(202).And.NotBe(204);
        response.ContentType.Should().Be("text/plain; charset=utf-8");
        response.ContentLength.Should().Be(@case.Body.Length);
        ReadBody(body).Should().Be(@case.Body);
    }

    [TestCase(0.2, "1")]
    [TestCase(30, "30")]
    [TestCase(30.1, "31")]
    public async Task Service_unavailable_can_hint_a_retry_after_in_whole_seconds(double seconds, string expected)
    {
        var (response, _) = NewResponse();

        await WorkerResponses.ServiceUnavailable(response, "shutting down", TimeSpan.FromSeconds(seconds));

        response.Headers.RetryAfter.ToString().Should().Be(expected);
    }

    [Test]
    public async Task Service_unavailable_sends_no_retry_after_unless_asked()
    {
        var (response, _) = NewResponse();

        await WorkerResponses.ServiceUnavailable(response);

        response.Headers.ContainsKey("Retry-After").Should().BeFalse();
    }

    private static (HttpResponse Response, MemoryStream Body) NewResponse()
    {
        var body = new MemoryStream();
        var context = new DefaultHttpContext();
        context.Response.Body = body;
        return (context.Response, body);
    }

    private static string ReadBody(MemoryStream body) => System.Text.Encoding.UTF8.GetString(body.ToArray());
}
