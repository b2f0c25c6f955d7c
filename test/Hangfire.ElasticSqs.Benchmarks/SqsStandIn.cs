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
/// and a configurable latency per call. Sent messages are kept only with <see cref="StoreMessages"/> (or captured);
/// then <c>ReceiveMessage</c> long-polls them with a visibility model good enough for speed runs, never correctness
/// (String and Number attributes only).
/// </summary>
internal sealed partial class SqsStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, StandInQueue> _queues = new(StringComparer.Ordinal);
    private long _calls;
    private long _messages;

    private SqsStandIn(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary>Added to every call before it is answered (0 isolates the client's own cost; ~20 ms models AWS).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>When set, sent messages are kept here (to deliver them to an endpoint later).</summary>
    public ConcurrentQueue<CapturedMessage>? Capture { get; set; }

    /// <summary>When true, sent messages are kept in their queue for <c>ReceiveMessage</c>.</summary>
    public bool StoreMessages { get; set; }

    public long Calls => Interlocked.Read(ref _calls);

    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Calls answered so far, by action (<c>ReceiveMessage</c>, <c>DeleteMessageBatch</c>, …).</summary>
    public ConcurrentDictionary<string, long> CallsByAction { get; } = new(StringComparer.Ordinal);

    public string Describe => $"stand-in {Latency.TotalMilliseconds:0} ms";

    public long CallsOf(string action) => CallsByAction.TryGetValue(action, out var calls) ? calls : 0;

    /// <summary>The named queue, created on first use, as SQS would after <c>CreateQueue</c>.</summary>
    public StandInQueue Queue(string name) => _queues.GetOrAdd(name, _ => new StandInQueue());

    /// <summary>Puts a message straight into a queue (no call, no latency), as if sent earlier.</summary>
    public void Seed(string queueName, string body, IReadOnlyDictionary<string, MessageAttributeValue>? attributes = null)
    {
        var copy = attributes?.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal) ?? new Dictionary<string, MessageAttributeValue>(StringComparer.Ordinal);
        Queue(queueName).Add(NewMessage(body, copy), delaySeconds: 0);
    }

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
        CallsByAction.AddOrUpdate(action, 1, (_, calls) => calls + 1);
        var receiving = string.Equals(action, "ReceiveMessage", StringComparison.Ordinal);
        if (receiving)
        {
            ReceiveStarted();
        }

        try
        {
            await AnswerAsync(context, action);
        }
        finally
        {
            if (receiving)
            {
                ReceiveEnded();
            }
        }
    }

    private async Task AnswerAsync(HttpContext context, string action)
    {
        using var request = await JsonDocument.ParseAsync(context.Request.Body);
        if (Latency > TimeSpan.Zero)
        {
            await Task.Delay(Latency);
        }

        var root = request.RootElement;
        object? reply = action switch
        {
            "GetQueueUrl" => new Dictionary<string, object> { ["QueueUrl"] = QueueUrl(root.GetProperty("QueueName").GetString()!) },
            "CreateQueue" => CreateQueue(root),
            "GetQueueAttributes" => QueueAttributes(root),
            "SendMessage" => Accept(root, QueueOf(root)),
            "SendMessageBatch" => SendBatch(root),
            "ReceiveMessage" => await ReceiveAsync(root, context.RequestAborted),
            "DeleteMessage" => Single(QueueOf(root).Delete(Text(root, "ReceiptHandle"))),
            "DeleteMessageBatch" => Batch(root, (queue, entry) => queue.Delete(Text(entry, "ReceiptHandle"))),
            "ChangeMessageVisibility" => Single(QueueOf(root).ChangeVisibility(Text(root, "ReceiptHandle"), Int(root, "VisibilityTimeout", 0))),
            "ChangeMessageVisibilityBatch" => Batch(root, (queue, entry) => queue.ChangeVisibility(Text(entry, "ReceiptHandle"), Int(entry, "VisibilityTimeout", 0))),
            _ => new SqsError("InvalidAction", $"stand-in does not implement {action}"),
        };

        context.Response.ContentType = "application/x-amz-json-1.0";
        if (reply is SqsError error)
        {
            context.Response.StatusCode = 400;
            await JsonSerializer.SerializeAsync(context.Response.Body, new Dictionary<string, string> { ["__type"] = "com.amazonaws.sqs#" + error.Code, ["message"] = error.Message });
            return;
        }

        await JsonSerializer.SerializeAsync(context.Response.Body, reply);
    }

    private string QueueUrl(string name) => new Uri(Url, "000000000000/" + name).ToString();

    private StandInQueue QueueOf(JsonElement request) => Queue(Text(request, "QueueUrl").Split('/')[^1]);

    private Dictionary<string, object> CreateQueue(JsonElement request)
    {
        var name = Text(request, "QueueName");
        if (!_queues.ContainsKey(name) && request.TryGetProperty("Attributes", out var attributes))
        {
            var queue = Queue(name);
            queue.VisibilityTimeoutSeconds = Int(attributes, "VisibilityTimeout", queue.VisibilityTimeoutSeconds);
            queue.ReceiveWaitTimeSeconds = Int(attributes, "ReceiveMessageWaitTimeSeconds", queue.ReceiveWaitTimeSeconds);
        }

        return new Dictionary<string, object> { ["QueueUrl"] = QueueUrl(name) };
    }

    private Dictionary<string, object> QueueAttributes(JsonElement request)
    {
        var url = Text(request, "QueueUrl");
        var queue = QueueOf(request);
        var (visible, inFlight, delayed) = queue.Counts();
        var all = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MaximumMessageSize"] = "1048576",
            ["ApproximateNumberOfMessages"] = Invariant(visible),
            ["ApproximateNumberOfMessagesNotVisible"] = Invariant(inFlight),
            ["ApproximateNumberOfMessagesDelayed"] = Invariant(delayed),
            ["VisibilityTimeout"] = Invariant(queue.VisibilityTimeoutSeconds),
            ["ReceiveMessageWaitTimeSeconds"] = Invariant(queue.ReceiveWaitTimeSeconds),
            ["QueueArn"] = "arn:aws:sqs:us-east-1:000000000000:" + url.Split('/')[^1],
        };
        var names = Strings(request, "AttributeNames");
        var chosen = names.Count == 0 || names.Contains("All") ? all : all.Where(a => names.Contains(a.Key)).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        return new Dictionary<string, object> { ["Attributes"] = chosen };
    }

    private Dictionary<string, object> SendBatch(JsonElement request)
    {
        var queue = QueueOf(request);
        return new Dictionary<string, object>
        {
            ["Successful"] = request.GetProperty("Entries").EnumerateArray().Select(entry =>
            {
                var accepted = Accept(entry, queue);
                accepted["Id"] = Text(entry, "Id");
                return accepted;
            }).ToList(),
            ["Failed"] = Array.Empty<object>(),
        };
    }

    private Dictionary<string, object> Accept(JsonElement message, StandInQueue queue)
    {
        Interlocked.Increment(ref _messages);
        var body = Text(message, "MessageBody");
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
        var stored = NewMessage(body, attributes);
        if (StoreMessages)
        {
            queue.Add(stored, Int(message, "DelaySeconds", 0));
        }

        var reply = new Dictionary<string, object>
        {
            ["MessageId"] = stored.MessageId,
            ["MD5OfMessageBody"] = stored.Md5OfBody,
        };
        if (attributes.Count > 0)
        {
            reply["MD5OfMessageAttributes"] = SqsMd5.OfAttributes(attributes).ToLowerInvariant();
        }

        return reply;
    }

    private static StandInMessage NewMessage(string body, Dictionary<string, MessageAttributeValue> attributes)
        => new(body, SqsMd5.OfBody(Encoding.UTF8.GetBytes(body)).ToLowerInvariant(), attributes, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private static string Text(JsonElement element, string name) => element.GetProperty(name).GetString()!;

    private static int Int(JsonElement element, string name, int fallback)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return fallback;
        }

        // Queue attributes travel as strings, request parameters as numbers.
        return value.ValueKind == JsonValueKind.String
            ? int.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : value.GetInt32();
    }

    private static List<string> Strings(JsonElement element, string name)
        => element.TryGetProperty(name, out var values) ? values.EnumerateArray().Select(v => v.GetString()!).ToList() : [];

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>An SQS error reply: answered 400 with its code as <c>__type</c>.</summary>
    private sealed record SqsError(string Code, string Message);
}
