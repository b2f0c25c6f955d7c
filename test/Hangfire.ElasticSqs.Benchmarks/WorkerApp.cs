using System.Globalization;
using System.Net;
using Amazon.Runtime;
using Amazon.SQS;
using Hangfire.ElasticSqs.Worker;
using Hangfire.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>
/// The worker application as the README configures it (ElasticSqs storage over an inner storage, the sqsd endpoint)
/// on Kestrel/loopback; or an empty Kestrel endpoint answering 200 (the HTTP floor). Copied from the worker tests' host.
/// </summary>
internal sealed class WorkerApp : IAsyncDisposable
{
    public const string KeyId = "bench";
    public static readonly string Key = Convert.ToBase64String(Enumerable.Range(11, 32).Select(i => (byte)i).ToArray());

    private readonly WebApplication _app;

    private WorkerApp(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public ElasticSqsStorage Storage => _app.Services.GetRequiredService<ElasticSqsStorage>();

    public IServiceProvider Services => _app.Services;

    public static AmazonSQSClient Client(Uri serviceUrl) => new(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig
    {
        ServiceURL = serviceUrl.ToString(),
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = 1,
        Timeout = TimeSpan.FromSeconds(30),
    });

    public static void Options(ElasticSqsStorageOptions o, string prefix)
    {
        o.QueueNamePrefix = prefix;
        o.SigningKeys[KeyId] = Key;
        o.SigningKeyId = KeyId;
    }

    public static async Task<WorkerApp> StartAsync(JobStorage inner, IAmazonSQS sqs, string prefix, int workerCount, Action<IServiceCollection, Uri>? services = null)
    {
        var port = Testing.FreePort.Next();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url.ToString());
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(sqs);
        builder.Services.Configure<ElasticSqsStorageOptions>(o => Options(o, prefix));
        builder.Services.AddHangfire((provider, c) => c.UseElasticSqsStorage(provider, inner));
        builder.Services.AddHangfireElasticSqsWorker(o =>
        {
            o.Enabled = true;
            o.WorkerCount = workerCount;
        });
        services?.Invoke(builder.Services, url);
        var app = builder.Build();
        app.MapElasticSqsWorker();
        await app.StartAsync();
        return new WorkerApp(app, url);
    }

    public static async Task<WorkerApp> StartEmptyAsync()
    {
        var port = Testing.FreePort.Next();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url.ToString());
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/", () => Results.Ok());
        await app.StartAsync();
        return new WorkerApp(app, url);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();

        // AddHangfire pointed Hangfire's statics (log provider, job activator) at this host's now disposed services:
        // a later stock server would fail every job activating through them.
        LogProvider.SetCurrentLogProvider(SilentLogProvider.Instance);
        JobActivator.Current = new JobActivator();
    }
}

/// <summary>Hangfire logging off (the benchmarks measure, they do not log).</summary>
internal sealed class SilentLogProvider : ILogProvider
{
    public static readonly SilentLogProvider Instance = new();

    public ILog GetLogger(string name) => SilentLog.Instance;

    private sealed class SilentLog : ILog
    {
        public static readonly SilentLog Instance = new();

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string> messageFunc, Exception exception) => false;
    }
}

/// <summary>POSTs messages to an endpoint the way sqsd does, over a fixed number of connections.</summary>
internal sealed class LoadGenerator : IDisposable
{
    private readonly HttpClient _http;
    private readonly int _connections;

    public LoadGenerator(Uri url, int connections)
    {
        _connections = connections;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = url,
            Timeout = TimeSpan.FromMinutes(2),
        };
    }

    /// <summary>Delivers every message; returns the wall time from the first request to the last 200.</summary>
    public async Task<TimeSpan> DeliverAsync(IReadOnlyList<CapturedMessage> messages)
    {
        var next = -1;
        var failures = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var workers = Enumerable.Range(0, _connections).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < messages.Count)
            {
                using var request = SqsdRequest(messages[i]);
                using var response = await _http.SendAsync(request).ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }).ToList();
        await Task.WhenAll(workers);
        watch.Stop();
        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures} of {messages.Count} deliveries were not answered 200");
        }

        return watch.Elapsed;
    }

    public static HttpRequestMessage SqsdRequest(CapturedMessage message)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(message.Body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("User-Agent", "aws-sqsd/3.0.4");
        request.Headers.Add("X-Aws-Sqsd-Msgid", Guid.NewGuid().ToString());
        request.Headers.Add("X-Aws-Sqsd-Receive-Count", "1");
        request.Headers.Add("X-Aws-Sqsd-Queue", "awseb-e-bench-stack-AWSEBWorkerQueue-1");
        request.Headers.Add("X-Aws-Sqsd-First-Received-At", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        foreach (var (name, value) in message.Attributes)
        {
            request.Headers.Add("X-Aws-Sqsd-Attr-" + TitleCase(name), value);
        }

        return request;
    }

    private static string TitleCase(string name)
        => string.Join('-', name.Split('-').Select(part => part.Length == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..].ToLowerInvariant()));

    public void Dispose() => _http.Dispose();
}
