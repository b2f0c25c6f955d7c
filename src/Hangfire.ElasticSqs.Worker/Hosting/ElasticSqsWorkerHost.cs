using Hangfire.Client;
using Hangfire.Common;
using Hangfire.ElasticSqs.Hosts;
using Hangfire.Server;
using Hangfire.States;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.Worker.Hosting;

/// <summary>
/// Runs the lightweight Hangfire server whose workers execute what the sqsd endpoint delivers (the channel bridge).
/// Lightweight: no delayed or recurring scheduler — SQS delays and cron.yaml do that — so a recurring job is never
/// triggered twice. On shutdown new deliveries get 503 and running jobs finish within the host's shutdown timeout.
/// </summary>
internal sealed partial class ElasticSqsWorkerHost : IHostedService, IDisposable
{
    private readonly IServiceProvider _services;
    private readonly ElasticSqsStorage _storage;
    private readonly ElasticSqsWorkerOptions _options;
    private readonly ILogger _logger;
    private readonly IHostApplicationLifetime? _lifetime;
    private PushHost? _pipeline;
    private BackgroundJobServer? _server;
    private CancellationTokenRegistration _stopping;

    public ElasticSqsWorkerHost(IServiceProvider services, ElasticSqsStorage storage, IOptions<ElasticSqsWorkerOptions> options, ILogger<ElasticSqsWorkerHost> logger)
    {
        _services = services;
        _storage = storage;
        _options = options.Value;
        _logger = logger;
        _lifetime = services.GetService<IHostApplicationLifetime>();
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.IsEnabled)
        {
            LogDisabled(_logger, ElasticSqsWorkerOptions.EnableVariable);
            return Task.CompletedTask;
        }

        // Hosted services stop in reverse order, and the web server stops first: it waits (up to the shutdown timeout)
        // for every request in flight, including deliveries still waiting for a worker, which would otherwise all be
        // run before StopAsync below is reached. Refuse them with 503 as soon as the application starts stopping.
        _pipeline = _services.GetRequiredService<Lazy<PushHost>>().Value;
        _stopping = _lifetime?.ApplicationStopping.Register(static pipeline => ((PushHost)pipeline!).BeginShutdown(), _pipeline) ?? default;
        var serverOptions = new BackgroundJobServerOptions
        {
            WorkerCount = _options.WorkerCount,
            IsLightweightServer = true,
            HeartbeatInterval = _options.HeartbeatInterval,
            ServerTimeout = _options.ServerTimeout,
            ServerName = _options.ServerName ?? Environment.MachineName,
            Queues = [.. _pipeline.Queues],
            Activator = _services.GetService<JobActivator>(),
            TimeZoneResolver = _services.GetService<ITimeZoneResolver>(),
        };
        // The same constructor Hangfire.AspNetCore's AddHangfireServer uses, so DI-registered filters, activator
        // and state changer apply to delivered jobs exactly as to any Hangfire server.
#pragma warning disable CS0618
        _server = new BackgroundJobServer(
            serverOptions,
            _storage,
            [.. Scheduling.RecurringJobSchedulerProcesses.For(_services, _options, serverOptions), .. _storage.LeaseRecoveryProcesses()],
            _services.GetService<IJobFilterProvider>() ?? JobFilterProviders.Providers,
            serverOptions.Activator ?? JobActivator.Current,
            _services.GetService<IBackgroundJobFactory>(),
            _services.GetService<IBackgroundJobPerformer>(),
            _services.GetService<IBackgroundJobStateChanger>());
#pragma warning restore CS0618
        LogStarted(_logger, _options.WorkerCount, serverOptions.ServerName);
        if (!_storage.LeasesJobs && _options.LeaseAfter is not null)
        {
            LogNoLease(_logger, _storage.InnerStorage.GetType().Name);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _pipeline?.BeginShutdown();
        if (_server is null)
        {
            return;
        }

        _server.SendStop();
        try
        {
            await _server.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogShutdownTimedOut(_logger, _pipeline!.JobsInFlight);
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _server?.Dispose();
    }

    [LoggerMessage(20, LogLevel.Information, "Hangfire.ElasticSqs worker is disabled in this process: sqsd requests pass to the application. Set {Variable}=true or ElasticSqsWorkerOptions.Enabled to run jobs here.")]
    private static partial void LogDisabled(ILogger logger, string variable);

    [LoggerMessage(21, LogLevel.Information, "Hangfire.ElasticSqs worker started: {WorkerCount} workers, server {ServerName}")]
    private static partial void LogStarted(ILogger logger, int workerCount, string serverName);

    [LoggerMessage(23, LogLevel.Warning, "Long jobs are not leased: the inner storage ({InnerStorage}) does not survive this process, so a job must hold sqsd's request until it ends. " +
        "A job longer than nginx's proxy_read_timeout (60 s on Elastic Beanstalk) is answered 504 and delivered again while it runs, and its message is dead-lettered after MaxRetries receives. " +
        "Raise proxy_read_timeout in .platform/nginx/conf.d, set the worker environment's InactivityTimeout above the longest job and VisibilityTimeout above InactivityTimeout, " +
        "or use a durable shared inner storage (e.g. Hangfire.PostgreSql) to lease long jobs instead (see docs/long-jobs.md).")]
    private static partial void LogNoLease(ILogger logger, string innerStorage);

    [LoggerMessage(22, LogLevel.Warning, "Shutdown timed out with {InFlight} job(s) still running; their deliveries are answered 503 and sqsd will deliver them again")]
    private static partial void LogShutdownTimedOut(ILogger logger, int inFlight);
}
