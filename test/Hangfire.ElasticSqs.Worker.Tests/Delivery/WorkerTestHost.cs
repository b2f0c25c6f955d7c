using System.Globalization;
using System.Net;
using Amazon.SQS;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Worker.Tests.Delivery;

/// <summary>
/// A real worker application on Kestrel (loopback), configured the way the README tells users, over moto SQS, with
/// helpers that deliver messages exactly the way sqsd does.
/// </summary>
internal sealed class WorkerTestHost : IAsyncDisposable
{
    public const string KeyId = "k1";
    public static readonly string Key = Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray());

    private readonly WebApplication _app;

    private WorkerTestHost(WebApplication app, IAmazonSQS sqs, string prefix)
    {
        _app = app;
        Sqs = sqs;
        Prefix = prefix;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromMinutes(2) };
    }

    public IAmazonSQS Sqs { get; }

    public string Prefix { get; }

    public HttpClient Http { get; }

    public Uri BaseAddress => Http.BaseAddress!;

    public IServiceProvider Services => _app.Services;

    public ElasticSqsStorage Storage => _app.Services.GetRequiredService<ElasticSqsStorage>();

    public IBackgroundJobClient Client => _app.Services.GetRequiredService<IBackgroundJobClient>();

    public static async Task<WorkerTestHost> StartAsync(
        MotoServer moto,
        Action<ElasticSqsWorkerOptions>? worker = null,
        TimeProvider? time = null,
        Action<ElasticSqsStorageOptions>? storage = null,
        string? extraUrl = null,
        Action<IServiceCollection>? services = null)
    {
        var prefix = "w" + Guid.NewGuid().ToString("N")[..8] + "-";
        var sqs = moto.CreateClient();
        await sqs.CreateQueueAsync(prefix + "default");

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(extraUrl is null ? "http://127.0.0.1:0" : $"http://127.0.0.1:0;{extraUrl}");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IAmazonSQS>(sqs);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Services.Configure<ElasticSqsStorageOptions>(o =>
        {
            o.QueueNamePrefix = prefix;
            o.SigningKeys[KeyId] = Key;
            o.SigningKeyId = KeyId;
            storage?.Invoke(o);
        });
        builder.Services.AddHangfire((provider, c) => c.UseElasticSqsStorage(provider));
        builder.Services.AddHangfireElasticSqsWorker(o =>
        {
            o.Enabled = true;
            o.WorkerCount = 8;
            worker?.Invoke(o);
        });
        builder.Services.AddSingleton<CountingJobs>();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapElasticSqsWorker();
        await app.StartAsync();
        return new WorkerTestHost(app, sqs, prefix);
    }

    public string QueueUrl(string hangfireQueue = "default") => Sqs.GetQueueUrlAsync(Prefix + hangfireQueue).GetAwaiter().GetResult().QueueUrl;

    /// <summary>Receives the next message (waiting up to the deadline), as sqsd would, without deleting it.</summary>
    public async Task<Message> ReceiveAsync(TimeSpan? timeout = null)
    {
        var url = QueueUrl();
        var messages = await Eventually.Until(
            async () => (await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url)
            {
                MaxNumberOfMessages = 1,
                WaitTimeSeconds = 1,
                VisibilityTimeout = 60,
                MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = ["All"],
            })).Messages ?? [],
            m => m.Count > 0,
            "a message on the queue",
            timeout);
        return messages[0];
    }

    /// <summary>POSTs a message the way sqsd does (title-cased attribute headers), deleting it on 200 like sqsd.</summary>
    public async Task<HttpResponseMessage> DeliverAsync(Message message, Action<HttpRequestMessage>? tamper = null)
    {
        using var request = SqsdRequest(message.Body, message.MessageAttributes.ToDictionary(a => a.Key, a => a.Value.StringValue), message.MessageId);
        tamper?.Invoke(request);
        var response = await Http.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            await Sqs.DeleteMessageAsync(QueueUrl(), message.ReceiptHandle);
        }

        return response;
    }

    public static HttpRequestMessage SqsdRequest(string body, IReadOnlyDictionary<string, string> attributes, string? messageId = null, int receiveCount = 1)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("User-Agent", "aws-sqsd/3.0.4");
        request.Headers.Add("X-Aws-Sqsd-Msgid", messageId ?? Guid.NewGuid().ToString());
        request.Headers.Add("X-Aws-Sqsd-Receive-Count", receiveCount.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-Aws-Sqsd-Queue", "awseb-e-test-stack-AWSEBWorkerQueue-1");
        foreach (var (name, value) in attributes)
        {
            request.Headers.Add("X-Aws-Sqsd-Attr-" + TitleCase(name), value);
        }

        return request;
    }

    /// <summary>A cron.yaml periodic task exactly as sqsd POSTs it: empty body, Taskname, Scheduled-At, Connection: close.</summary>
    public static HttpRequestMessage PeriodicRequest(string taskName, string scheduledAt)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/periodic-tasks") { Content = new ByteArrayContent([]) };
        request.Headers.TryAddWithoutValidation("User-Agent", "aws-sqsd/3.0.4");
        request.Headers.Add("X-Aws-Sqsd-Msgid", Guid.NewGuid().ToString());
        request.Headers.Add("X-Aws-Sqsd-Receive-Count", "1");
        request.Headers.Add("X-Aws-Sqsd-Taskname", taskName);
        request.Headers.Add("X-Aws-Sqsd-Scheduled-At", scheduledAt);
        request.Headers.Add("X-Aws-Sqsd-Path", "/periodic-tasks");
        request.Headers.ConnectionClose = true;
        return request;
    }

    /// <summary>A correctly signed message for a job of this host's store, as the storage itself would build it.</summary>
    public (string Body, Dictionary<string, string> Attributes) SignedMessage(string jobId, int retry = 0, DateTime? due = null, string? body = null)
    {
        using var connection = Storage.GetConnection();
        var payload = Hangfire.ElasticSqs.Enqueue.JobPayload.From(connection.GetJobData(jobId))!;
        var envelope = new JobEnvelope(jobId, "default", payload.Payload, payload.CreatedAt, Storage.StoreId);
        var message = JobMessage.Create(envelope, retry, due, Storage.Signer);
        return (body ?? System.Text.Encoding.UTF8.GetString(message.Body), message.ToAttributes().ToDictionary(a => a.Key, a => a.Value.StringValue));
    }

    public string StateOf(string jobId)
    {
        using var connection = Storage.GetConnection();
        return connection.GetStateData(jobId)?.Name ?? "(none)";
    }

    public async Task<Dictionary<string, string>> QueueAttributesAsync()
        => (await Sqs.GetQueueAttributesAsync(QueueUrl(), ["All"])).Attributes;

    private static string TitleCase(string name)
        => string.Join('-', name.Split('-').Select(part => part.Length == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..].ToLowerInvariant()));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Sqs.Dispose();

        // AddHangfire pointed Hangfire's static logging at this host's LoggerFactory, which is disposed now.
        Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
    }
}
