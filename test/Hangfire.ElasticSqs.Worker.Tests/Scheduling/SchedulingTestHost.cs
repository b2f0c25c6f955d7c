using Amazon.SQS;
using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Worker.Scheduling;
using Hangfire.ElasticSqs.Worker.Tests.Delivery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Hangfire.ElasticSqs.Worker.Tests.Scheduling;

/// <summary>
/// A worker application on Kestrel over moto, built the way a user's <c>Program.cs</c> is: build, register the recurring
/// jobs (<paramref name="registerJobs"/> of <see cref="CreateAsync"/>), then start — or not, for the command, which runs
/// on the built application without starting it. Its content root is a fresh directory (where cron.yaml is looked
/// for), and every log entry is captured.
/// </summary>
internal sealed class SchedulingTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _started;

    private SchedulingTestHost(WebApplication app, IAmazonSQS sqs, string prefix, string contentRoot, FakeLoggerProvider logs)
    {
        _app = app;
        Sqs = sqs;
        Prefix = prefix;
        ContentRoot = contentRoot;
        Logs = logs;
    }

    public IAmazonSQS Sqs { get; }

    public string Prefix { get; }

    public string ContentRoot { get; }

    public FakeLoggerProvider Logs { get; }

    /// <summary>What the category <typeparamref name="T"/> logged so far.</summary>
    public IReadOnlyList<FakeLogRecord> LogsFrom<T>()
        => Logs.Collector.GetSnapshot().Where(record => record.Category == typeof(T).FullName).ToList();

    public IServiceProvider Services => _app.Services;

    public WebApplication App => _app;

    public JobStorage Storage => _app.Services.GetRequiredService<JobStorage>();

    public IRecurringJobManager RecurringJobs => _app.Services.GetRequiredService<IRecurringJobManager>();

    public Uri BaseAddress => new(_app.Urls.First());

    public static async Task<SchedulingTestHost> CreateAsync(
        MotoServer moto,
        Action<ElasticSqsWorkerOptions>? worker = null,
        Action<IRecurringJobManager>? registerJobs = null,
        string? cronYaml = null,
        SchedulingTimings? timings = null,
        bool start = true)
    {
        var prefix = "s" + Guid.NewGuid().ToString("N")[..8] + "-";
        var sqs = moto.CreateClient();
        await sqs.CreateQueueAsync(prefix + "default");
        var contentRoot = Directory.CreateTempSubdirectory("elasticsqs-scheduling-").FullName;
        if (cronYaml is not null)
        {
            await File.WriteAllTextAsync(Path.Combine(contentRoot, "cron.yaml"), cronYaml);
        }

        var logs = new FakeLoggerProvider();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = contentRoot });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Services.AddSingleton<IAmazonSQS>(sqs);
        builder.Services.Configure<ElasticSqsStorageOptions>(o =>
        {
            o.QueueNamePrefix = prefix;
            o.SigningKeys[WorkerTestHost.KeyId] = WorkerTestHost.Key;
            o.SigningKeyId = WorkerTestHost.KeyId;
        });
        builder.Services.AddHangfire((provider, c) => c.UseElasticSqsStorage(provider));
        builder.Services.AddHangfireElasticSqsWorker(o =>
        {
            o.Enabled = true;
            o.WorkerCount = 4;
            worker?.Invoke(o);
        });
        builder.Services.Replace(ServiceDescriptor.Singleton(timings ?? new SchedulingTimings { DriftCheckDelay = TimeSpan.Zero }));
        builder.Services.AddSingleton<CountingJobs>();
        var app = builder.Build();
        app.MapElasticSqsWorker();

        // As in Program.cs: recurring jobs are registered after Build() and before Run().
        registerJobs?.Invoke(app.Services.GetRequiredService<IRecurringJobManager>());
        var host = new SchedulingTestHost(app, sqs, prefix, contentRoot, logs);
        if (start)
        {
            await app.StartAsync();
            host._started = true;
        }

        return host;
    }

    public string QueueUrl(string hangfireQueue = "default") => Sqs.GetQueueUrlAsync(Prefix + hangfireQueue).GetAwaiter().GetResult().QueueUrl;

    public string CronYamlFullPath => Path.Combine(ContentRoot, "cron.yaml");

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await _app.StopAsync();
        }

        await _app.DisposeAsync();
        Sqs.Dispose();
        Directory.Delete(ContentRoot, recursive: true);
    }
}
