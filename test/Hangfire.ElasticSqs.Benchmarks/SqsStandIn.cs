using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>A message the stand-in received: its body and string attributes.</summary>
internal sealed record CapturedMessage(string Body, Dictionary<string, string> Attributes);

/// <summary>
/// A benchmark-only SQS stand-in: Kestrel on loopback answering the SQS JSON protocol (AWSSDK.SQS 4:
/// <c>X-Amz-Target: AmazonSQS.X</c>, <c>application/x-amz-json-1.0</c>) for the calls measured, with correct MD5s
/// and a configurable latency per call. Messages are not stored (unless captured); for speed, never correctness.
/// </summary>
internal sealed class SqsStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private long _calls;
    private long _messages;

    private SqsStandIn(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>Added to every call before it is answered (0 isolates the client's own cost; ~20 ms models AWS).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>When set, sent messages are kept here (to deliver them to an endpoint later).</summary>
    public ConcurrentQueue<CapturedMessage>? Capture { get; set; }

    public long Calls => Interlocked.Read(ref _calls);

    public long Messages => Interlocked.Read(ref _messages);

    public string Describe => $"stand-in {Latency.TotalMilliseconds:0} ms";

    public static async Task<SqsStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new SqsStandIn(app);
        app.MapPost("/", standIn.HandleAsync);
        await app.StartAsync();
        standIn.Url = new Uri(app.Urls.First());
        return standIn;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _calls);
        var target = context.Request.Headers["X-Amz-Target"].ToString();
        var action = target[(target.IndexOf('.', StringComparison.Ordinal) + 1)..];
        using var request = await JsonDocument.ParseAsync(context.Request.Body);
        if (Latency > TimeSpan.Zero)
        {
            await Task.Delay(Latency);
        }

        var root = request.RootElement;
        object? reply = action switch
        {
            "GetQueueUrl" or "CreateQueue" => new Dictionary<string, object> { ["QueueUrl"] = QueueUrl(root.GetProperty("QueueName").GetString()!) },
            "GetQueueAttributes" => new Dictionary<string, object>
            {
                ["Attributes"] = new Dictionary<string, string>
                {
                    ["MaximumMessageSize"] = "1048576",
                    ["ApproximateNumberOfMessages"] = "0",
                    ["ApproximateNumberOfMessagesNotVisible"] = "0",
                    ["ApproximateNumberOfMessagesDelayed"] = "0",
                    ["VisibilityTimeout"] = "30",
                    ["QueueArn"] = "arn:aws:sqs:us-east-1:000000000000:" + root.GetProperty("QueueUrl").GetString()!.Split('/')[^1],
                },
            },
            "SendMessage" => Accept(root),
            "SendMessageBatch" => new Dictionary<string, object>
            {
                ["Successful"] = root.GetProperty("Entries").EnumerateArray().Select(entry =>
                {
                    var accepted = Accept(entry);
                    accepted["Id"] = entry.GetProperty("Id").GetString()!;
                    return accepted;
                }).ToList(),
                ["Failed"] = Array.Empty<object>(),
            },
            "ReceiveMessage" => new Dictionary<string, object> { ["Messages"] = Array.Empty<object>() },
            "DeleteMessage" or "ChangeMessageVisibility" => new Dictionary<string, object>(),
            _ => null,
        };

        context.Response.ContentType = "application/x-amz-json-1.0";
        if (reply is null)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync($$"""{"__type":"com.amazonaws.sqs#InvalidAction","message":"stand-in does not implement {{action}}"}""");
            return;
        }

        await JsonSerializer.SerializeAsync(context.Response.Body, reply);
    }

    private string QueueUrl(string name) => new Uri(Url, "000000000000/" + name).ToString();

    private Dictionary<string, object> Accept(JsonElement message)
    {
        Interlocked.Increment(ref _messages);
        var body = message.GetProperty("MessageBody").GetString()!;
        var attributes = new Dictionary<string, MessageAttributeValue>(StringComparer.Ordinal);
        if (message.TryGetProperty("MessageAttributes", out var map))
        {
            foreach (var attribute in map.EnumerateObject())
            {
                attributes[attribute.Name] = new MessageAttributeValue
                {
                    DataType = attribute.Value.GetProperty("DataType").GetString(),
                    StringValue = attribute.Value.TryGetProperty("StringValue", out var value) ? value.GetString() : null,
                };
            }
        }

        Capture?.Enqueue(new CapturedMessage(body, attributes.ToDictionary(a => a.Key, a => a.Value.StringValue ?? string.Empty, StringComparer.Ordinal)));
        var reply = new Dictionary<string, object>
        {
            ["MessageId"] = Guid.NewGuid().ToString(),
            ["MD5OfMessageBody"] = SqsMd5.OfBody(Encoding.UTF8.GetBytes(body)).ToLowerInvariant(),
        };
        if (attributes.Count > 0)
        {
            reply["MD5OfMessageAttributes"] = SqsMd5.OfAttributes(attributes).ToLowerInvariant();
        }

        return reply;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
