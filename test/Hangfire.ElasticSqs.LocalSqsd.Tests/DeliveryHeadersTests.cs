using System.Globalization;
using System.Text;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.LocalSqsd.Tests;

public sealed class DeliveryHeadersTests : LocalSqsdTestBase
{
    private const string IsoSeconds = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    [Test]
    public async Task A_message_is_posted_with_exactly_the_headers_and_formats_of_aws_sqsd()
    {
        var queueUrl = await CreateQueueAsync();
        var body = """{"job":"42","text":"héllo"}""";
        var sentBefore = DateTimeOffset.UtcNow;
        var sent = await Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = queueUrl,
            MessageBody = body,
            MessageAttributes = new Dictionary<string, MessageAttributeValue>
            {
                ["hangfire-job-id"] = new() { DataType = "String", StringValue = "42" },
                ["retry"] = new() { DataType = "Number", StringValue = "3" },
                ["traceId"] = new() { DataType = "String", StringValue = "abc" },
                ["meta"] = new() { DataType = "String.json", StringValue = "{}" },
                ["Tenant"] = new() { DataType = "String", StringValue = "a" },
                ["tenant"] = new() { DataType = "String", StringValue = "b" },
                ["payload"] = new() { DataType = "Binary", BinaryValue = new MemoryStream([1, 2, 3]) },
                ["beanstalk.sqsd.note"] = new() { DataType = "String", StringValue = "reserved" },
            },
        });
        var options = OptionsFor(queueUrl);
        options.HttpPath = "/worker";
        await StartSqsdAsync(options);

        var request = (await WaitForRequestsAsync(1))[0];

        request.Method.Should().Be("POST");
        request.Protocol.Should().Be("HTTP/1.1");
        request.Path.Should().Be("/worker");
        Encoding.UTF8.GetString(request.Body).Should().Be(body);
        request.Header("Content-Length").Should().Be(Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture));
        request.Header("Content-Type").Should().Be("application/json");
        request.Header("User-Agent").Should().Be("aws-sqsd/3.0.4");
        request.Header("Accept-Encoding").Should().Be("gzip, compressed");
        request.Header("Connection").Should().BeNull("ordinary messages use HTTP/1.1 keep-alive");
        request.Header("X-Aws-Sqsd-Msgid").Should().Be(sent.MessageId);
        request.Header("X-Aws-Sqsd-Receive-Count").Should().Be("1");
        request.Header("X-Aws-Sqsd-Queue").Should().Be(queueUrl.Split('/')[^1]);
        request.Header("X-Aws-Sqsd-Path").Should().Be("/worker");
        request.Header("X-Aws-Sqsd-Sender-Id").Should().NotBeNullOrEmpty();
        var firstReceived = ParseIso(request.Header("X-Aws-Sqsd-First-Received-At"));
        var sentAt = ParseIso(request.Header("X-Aws-Sqsd-Sent-At"));
        sentAt.Should().BeOnOrAfter(sentBefore.AddSeconds(-1)).And.BeOnOrBefore(firstReceived);
        firstReceived.Should().BeOnOrBefore(request.ArrivedAt);

        // Title-cased per '-' segment like em-http; Binary and reserved attributes are not forwarded;
        // "Tenant" and "tenant" collapse into one header.
        request.HeaderNames.Where(name => name.StartsWith("X-Aws-Sqsd-", StringComparison.OrdinalIgnoreCase)).Should().BeEquivalentTo(
            "X-Aws-Sqsd-Msgid", "X-Aws-Sqsd-Receive-Count", "X-Aws-Sqsd-First-Received-At", "X-Aws-Sqsd-Sent-At",
            "X-Aws-Sqsd-Queue", "X-Aws-Sqsd-Path", "X-Aws-Sqsd-Sender-Id",
            "X-Aws-Sqsd-Attr-Hangfire-Job-Id", "X-Aws-Sqsd-Attr-Retry", "X-Aws-Sqsd-Attr-Traceid",
            "X-Aws-Sqsd-Attr-Meta", "X-Aws-Sqsd-Attr-Tenant");
        request.Header("X-Aws-Sqsd-Attr-Hangfire-Job-Id").Should().Be("42");
        request.Header("X-Aws-Sqsd-Attr-Retry").Should().Be("3");
        request.Header("X-Aws-Sqsd-Attr-Traceid").Should().Be("abc");
        request.Header("X-Aws-Sqsd-Attr-Meta").Should().Be("{}");
        request.Header("X-Aws-Sqsd-Attr-Tenant").Should().BeOneOf("a", "b");

        await Eventually.True(() => LogLines.Contains($"message: sent to {App.BaseAddress.ToString().TrimEnd('/')}/worker ({sent.MessageId})"), "the sqsd-style success log line");
    }

    [Test]
    public async Task Consecutive_messages_reuse_one_keep_alive_connection()
    {
        var queueUrl = await CreateQueueAsync();
        var options = OptionsFor(queueUrl);
        options.HttpConnections = 1;
        await StartSqsdAsync(options);

        await Sqs.SendMessageAsync(queueUrl, "first");
        await WaitForRequestsAsync(1);
        await Sqs.SendMessageAsync(queueUrl, "second");
        var requests = await WaitForRequestsAsync(2);

        requests.Select(request => request.ConnectionId).Distinct().Should().ContainSingle();
    }

    private static DateTimeOffset ParseIso(string? value)
    {
        value.Should().MatchRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$");
        return DateTimeOffset.ParseExact(value!, IsoSeconds, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }
}
