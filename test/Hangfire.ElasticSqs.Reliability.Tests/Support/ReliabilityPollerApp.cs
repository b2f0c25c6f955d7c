using System.Text.Json;
using Amazon.SQS;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Reliability.Tests.Support;

/// <summary>How one poll-mode process is set up (serialised into the process's environment).</summary>
public sealed record PollerSettings
{
    public required string SqsServiceUrl { get; init; }

    public required string QueuePrefix { get; init; }

    public Dictionary<string, string> Keys { get; init; } = new(StringComparer.Ordinal);

    public required string SigningKeyId { get; init; }

    /// <summary>The shared PostgreSQL inner storage.</summary>
    public required string PostgreSql { get; init; }

    public required string ServerName { get; init; }

    public string[] Queues { get; init; } = ["default"];

    public int WorkerCount { get; init; } = 10;

    public double ShutdownTimeoutSeconds { get; init; } = 30;

    /// <summary>Short heartbeats and server timeout let a surviving server remove a killed one's record within seconds.</summary>
    public double HeartbeatSeconds { get; init; } = 1;

    public double ServerTimeoutSeconds { get; init; } = 5;

    public double ServerCheckSeconds { get; init; } = 1;

    /// <summary>The SQS client's Timeout: above a 20-second long poll, as the AWS SDK's default (100 s) is.</summary>
    public double SqsTimeoutSeconds { get; init; } = 30;

    public static PollerSettings For(Testing.MotoServer moto, string prefix, Keys keys, string postgreSql, string serverName, int workers = 10)
        => new()
        {
            SqsServiceUrl = moto.ServiceUrl.ToString(),
            QueuePrefix = prefix,
            Keys = keys.CurrentOnly,
            SigningKeyId = keys.CurrentId,
            PostgreSql = postgreSql,
            ServerName = serverName,
            WorkerCount = workers,
        };
}

/// <summary>
/// A poll-mode worker as the README configures it for ECS, EKS or EC2: a generic host (no web server) with
/// ElasticSqs storage over Hangfire.PostgreSql, <c>ReceiveFromSqs = true</c>, and the ordinary Hangfire server.
/// </summary>
public static class ReliabilityPollerApp
{
    public const string SettingsVariable = "RELIABILITY_POLLER_SETTINGS";

    public static PollerSettings SettingsFromEnvironment()
        => JsonSerializer.Deserialize<PollerSettings>(Environment.GetEnvironmentVariable(SettingsVariable)
            ?? throw new InvalidOperationException(SettingsVariable + " is not set"))!;

    public static string Serialize(PollerSettings settings) => JsonSerializer.Serialize(settings);

    public static IHost Build(PollerSettings settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.TimestampFormat = "HH:mm:ss.fff ");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Hangfire.AutomaticRetryAttribute", LogLevel.None);

        // The poller's give-backs and hold-backs are the evidence the scenarios read in the process log.
        builder.Logging.AddFilter("Hangfire.ElasticSqs.Hosts.Polling", LogLevel.Information);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(settings.ShutdownTimeoutSeconds + 5));
        builder.Services.AddSingleton<IAmazonSQS>(ReliabilityWorkerApp.SqsClient(settings.SqsServiceUrl, settings.SqsTimeoutSeconds));
        builder.Services.Configure<ElasticSqsStorageOptions>(o =>
        {
            o.QueueNamePrefix = settings.QueuePrefix;
            foreach (var (id, key) in settings.Keys)
            {
                o.SigningKeys[id] = key;
            }

            o.SigningKeyId = settings.SigningKeyId;
            o.ReceiveFromSqs = true;
        });
        var inner = ReliabilityWorkerApp.PostgreSqlStorage(settings.PostgreSql);
        builder.Services.AddHangfire((provider, c) => c.UseElasticSqsStorage(provider, inner));
        builder.Services.AddHangfireServer(o =>
        {
            o.ServerName = settings.ServerName;
            o.Queues = settings.Queues;
            o.WorkerCount = settings.WorkerCount;
            o.ShutdownTimeout = TimeSpan.FromSeconds(settings.ShutdownTimeoutSeconds);
            o.HeartbeatInterval = TimeSpan.FromSeconds(settings.HeartbeatSeconds);
            o.ServerTimeout = TimeSpan.FromSeconds(settings.ServerTimeoutSeconds);
            o.ServerCheckInterval = TimeSpan.FromSeconds(settings.ServerCheckSeconds);
        });
        return builder.Build();
    }
}
