using System.Security.Cryptography;
using Amazon.SQS;
using Hangfire.ElasticSqs.LocalSqsd;
using Hangfire.ElasticSqs.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Hangfire.ElasticSqs.Reliability.Tests.Support;

// Declared inside the namespace so that it wins over the namespace Hangfire.ElasticSqs.LocalSqsd.
using LocalSqsd = global::Hangfire.ElasticSqs.LocalSqsd.LocalSqsd;

/// <summary>Signing keys shared by producer and workers of one scenario.</summary>
public sealed class Keys
{
    public string CurrentId { get; init; } = "k2";

    public string Current { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string PreviousId { get; init; } = "k1";

    public string Previous { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public Dictionary<string, string> CurrentOnly => new(StringComparer.Ordinal) { [CurrentId] = Current };

    public Dictionary<string, string> Both => new(StringComparer.Ordinal) { [CurrentId] = Current, [PreviousId] = Previous };

    public void Apply(ElasticSqsStorageOptions options, string? signWith = null, bool both = false)
    {
        foreach (var (id, key) in both ? Both : CurrentOnly)
        {
            options.SigningKeys[id] = key;
        }

        if (signWith == PreviousId)
        {
            options.SigningKeys[PreviousId] = Previous;
        }

        options.SigningKeyId = signWith ?? CurrentId;
    }
}

/// <summary>The web role: an <see cref="ElasticSqsStorage"/> over an inner storage, enqueuing through Hangfire's client.</summary>
public sealed class Producer : IDisposable
{
    public Producer(JobStorage inner, IAmazonSQS sqs, string prefix, Keys keys, Action<ElasticSqsStorageOptions>? configure = null, string? signWith = null)
    {
        var options = new ElasticSqsStorageOptions { QueueNamePrefix = prefix };
        keys.Apply(options, signWith);
        configure?.Invoke(options);
        Storage = new ElasticSqsStorage(inner, options, sqs);
        Client = new BackgroundJobClient(Storage);
    }

    public ElasticSqsStorage Storage { get; }

    public BackgroundJobClient Client { get; }

    public string Enqueue(ExecutionLog log, string key, int milliseconds)
    {
        var directory = log.Directory;
        return Client.Enqueue(() => ProbeJobs.Run(directory, key, milliseconds));
    }

    /// <summary>A job that stops when Hangfire cancels it (shutdown or abort) instead of running to its end.</summary>
    public string EnqueueCancellable(ExecutionLog log, string key, int milliseconds)
    {
        var directory = log.Directory;
        return Client.Enqueue(() => ProbeJobs.RunCancellable(directory, key, milliseconds, CancellationToken.None));
    }

    public string? StateOf(string jobId)
    {
        using var connection = Storage.GetConnection();
        return connection.GetStateData(jobId)?.Name;
    }

    /// <summary>The job's current state name and its server (Processing) or reason.</summary>
    public (string? Name, string? ServerId, string? Reason) StateDataOf(string jobId)
    {
        using var connection = Storage.GetConnection();
        var state = connection.GetStateData(jobId);
        return (state?.Name, state?.Data.TryGetValue("ServerId", out var server) == true ? server : null, state?.Reason);
    }

    /// <summary>The reasons of the job's states, newest first.</summary>
    public IReadOnlyList<string> HistoryOf(string jobId)
        => Storage.GetMonitoringApi().JobDetails(jobId).History.Select(h => h.StateName + ": " + h.Reason).ToList();

    public void Dispose() => Storage.Dispose();
}

/// <summary>A worker application hosted in this process on Kestrel (loopback, a free port).</summary>
public sealed class InProcessWorker : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessWorker(WebApplication app, WorkerSettings settings)
    {
        _app = app;
        Settings = settings;
    }

    public WorkerSettings Settings { get; }

    public Uri Url => new(Settings.Url);

    public IServiceProvider Services => _app.Services;

    public ElasticSqsStorage Storage => _app.Services.GetRequiredService<ElasticSqsStorage>();

    public static async Task<InProcessWorker> StartAsync(WorkerSettings settings)
    {
        var app = ReliabilityWorkerApp.Build(settings);
        await app.StartAsync().ConfigureAwait(false);
        return new InProcessWorker(app, settings);
    }

    public static WorkerSettings Settings_(MotoServer moto, string prefix, Keys keys, string? postgreSql = null, int workers = 10)
        => new()
        {
            Url = $"http://127.0.0.1:{FreePort.Next()}",
            SqsServiceUrl = moto.ServiceUrl.ToString(),
            QueuePrefix = prefix,
            Keys = keys.CurrentOnly,
            SigningKeyId = keys.CurrentId,
            PostgreSql = postgreSql,
            WorkerCount = workers,
        };

    public string? StateOf(string jobId)
    {
        using var connection = Storage.GetConnection();
        return connection.GetStateData(jobId)?.Name;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
    }
}

/// <summary>A local sqsd in this process, POSTing to <paramref name="target"/> (a worker or a proxy).</summary>
public static class Sqsd
{
    public static async Task<LocalSqsd> StartAsync(IAmazonSQS sqs, string queueUrl, Uri target, int connections = 50, int visibilityTimeout = 60, int errorVisibilityTimeout = 1, int inactivityTimeout = 120)
    {
        var sqsd = new LocalSqsd(new LocalSqsdOptions
        {
            WorkerQueueURL = queueUrl,
            BaseAddress = target,
            HttpConnections = connections,
            VisibilityTimeout = visibilityTimeout,
            ErrorVisibilityTimeout = errorVisibilityTimeout,
            InactivityTimeout = inactivityTimeout,
            ReceiveWaitTimeSeconds = 1,
            BatchDeleteDelay = TimeSpan.FromMilliseconds(200),
            DrainTimeout = TimeSpan.FromSeconds(5),
        }, sqs);
        await sqsd.StartAsync(CancellationToken.None).ConfigureAwait(false);
        return sqsd;
    }
}
