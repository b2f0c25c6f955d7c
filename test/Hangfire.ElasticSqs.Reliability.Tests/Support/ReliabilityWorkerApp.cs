using System.Text.Json;
using Amazon.Runtime;
using Amazon.SQS;
using Hangfire.ElasticSqs.Worker;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Reliability.Tests.Support;

/// <summary>How one worker application is set up (serialised into the worker process's environment).</summary>
public sealed record WorkerSettings
{
    public required string Url { get; init; }

    public string[] ExtraUrls { get; init; } = [];

    public required string SqsServiceUrl { get; init; }

    public required string QueuePrefix { get; init; }

    public Dictionary<string, string> Keys { get; init; } = new(StringComparer.Ordinal);

    public required string SigningKeyId { get; init; }

    /// <summary>A shared PostgreSQL inner storage; null gives the process its own Hangfire.InMemory storage.</summary>
    public string? PostgreSql { get; init; }

    public int WorkerCount { get; init; } = 10;

    public double HandOffTimeoutSeconds { get; init; } = 30;

    public double ShutdownTimeoutSeconds { get; init; } = 30;

    /// <summary>ElasticSqsWorkerOptions.LeaseAfter in seconds (its default, 45); 0 turns leasing off.</summary>
    public double LeaseAfterSeconds { get; init; } = 45;

    public double HeartbeatIntervalSeconds { get; init; } = 15;

    public double ServerTimeoutSeconds { get; init; } = 60;

    public string? ServerName { get; init; }

    /// <summary>Runs a local sqsd inside the worker process (one daemon per "instance", as on Elastic Beanstalk).</summary>
    public string? SqsdQueueUrl { get; init; }

    public int SqsdConnections { get; init; } = 10;

    public int SqsdVisibilityTimeout { get; init; } = 30;

    public int SqsdErrorVisibilityTimeout { get; init; } = 1;
}

/// <summary>
/// The worker application as the README configures it (ElasticSqs storage over an inner storage, the sqsd endpoint,
/// optionally a local sqsd in the same process), on Kestrel. Used in-process and as a separate OS process.
/// </summary>
public static class ReliabilityWorkerApp
{
    public const string SettingsVariable = "RELIABILITY_WORKER_SETTINGS";

    public static WorkerSettings SettingsFromEnvironment()
        => JsonSerializer.Deserialize<WorkerSettings>(Environment.GetEnvironmentVariable(SettingsVariable)
            ?? throw new InvalidOperationException(SettingsVariable + " is not set"))!;

    public static string Serialize(WorkerSettings settings) => JsonSerializer.Serialize(settings);

    public static AmazonSQSClient SqsClient(string serviceUrl, double timeoutSeconds = 10) => new(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig
    {
        ServiceURL = serviceUrl,
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = 1,
        Timeout = TimeSpan.FromSeconds(timeoutSeconds),
    });

    public static PostgreSqlStorage PostgreSqlStorage(string connectionString)
    {
        var options = new PostgreSqlStorageOptions { PrepareSchemaIfNecessary = true };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options);
    }

    public static WebApplication Build(WorkerSettings settings, bool console = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls([settings.Url, .. settings.ExtraUrls]);
        builder.Logging.ClearProviders();
        if (console || Environment.GetEnvironmentVariable("RELIABILITY_VERBOSE") == "1")
        {
            builder.Logging.AddSimpleConsole(o => o.TimestampFormat = "HH:mm:ss.fff ");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter("Hangfire.AutomaticRetryAttribute", LogLevel.None);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(settings.ShutdownTimeoutSeconds));
        var sqs = SqsClient(settings.SqsServiceUrl);
        builder.Services.AddSingleton<IAmazonSQS>(sqs);
        builder.Services.Configure<ElasticSqsStorageOptions>(o =>
        {
            o.QueueNamePrefix = settings.QueuePrefix;
            foreach (var (id, key) in settings.Keys)
            {
                o.SigningKeys[id] = key;
            }

            o.SigningKeyId = settings.SigningKeyId;
        });
        JobStorage inner = settings.PostgreSql is { } pg ? PostgreSqlStorage(pg) : new InMemoryStorage();
        builder.Services.AddHangfire((provider, c) => c.UseElasticSqsStorage(provider, inner));
        builder.Services.AddHangfireElasticSqsWorker(o =>
        {
            o.Enabled = true;
            o.WorkerCount = settings.WorkerCount;
            o.HandOffTimeout = TimeSpan.FromSeconds(settings.HandOffTimeoutSeconds);
            o.CronYamlPath = string.Empty;
            o.ServerName = settings.ServerName;
            o.LeaseAfter = settings.LeaseAfterSeconds > 0 ? TimeSpan.FromSeconds(settings.LeaseAfterSeconds) : null;
            o.HeartbeatInterval = TimeSpan.FromSeconds(settings.HeartbeatIntervalSeconds);
            o.ServerTimeout = TimeSpan.FromSeconds(settings.ServerTimeoutSeconds);
        });
        if (settings.SqsdQueueUrl is { } queueUrl)
        {
            builder.Services.AddLocalSqsd(o =>
            {
                o.WorkerQueueURL = queueUrl;
                o.BaseAddress = new Uri(settings.Url);
                o.HttpConnections = settings.SqsdConnections;
                o.VisibilityTimeout = settings.SqsdVisibilityTimeout;
                o.ErrorVisibilityTimeout = settings.SqsdErrorVisibilityTimeout;
                o.InactivityTimeout = 120;
                o.ReceiveWaitTimeSeconds = 1;
                o.BatchDeleteDelay = TimeSpan.FromMilliseconds(200);
                o.DrainTimeout = TimeSpan.FromSeconds(5);
            });
        }

        var app = builder.Build();
        app.MapElasticSqsWorker();
        app.MapGet("/reliability/health", () => "ok");
        app.MapGet("/reliability/stats", (HttpContext context) =>
        {
            var monitor = context.RequestServices.GetRequiredService<ElasticSqsStorage>().InnerStorage.GetMonitoringApi();
            var stats = monitor.GetStatistics();
            return Results.Json(new Dictionary<string, long>
            {
                ["Succeeded"] = stats.Succeeded,
                ["Failed"] = stats.Failed,
                ["Processing"] = stats.Processing,
                ["Scheduled"] = stats.Scheduled,
                ["Enqueued"] = stats.Enqueued,
            });
        });
        return app;
    }
}
