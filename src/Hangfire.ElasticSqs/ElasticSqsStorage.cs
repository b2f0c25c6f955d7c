using Amazon.SQS;
using Hangfire.ElasticSqs.Configuration;
using Hangfire.ElasticSqs.Enqueue;
using Hangfire.ElasticSqs.Hosts.Polling;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Pipeline;
using Hangfire.ElasticSqs.Pipeline.ChannelBridge;
using Hangfire.ElasticSqs.Pipeline.Leasing;
using Hangfire.ElasticSqs.Storage;
using Hangfire.Logging;
using Hangfire.Server;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hangfire.ElasticSqs;

/// <summary>
/// A Hangfire <see cref="JobStorage"/> that keeps job data, history and everything the Dashboard reads in an inner
/// storage, and moves jobs through Amazon SQS: enqueued jobs become signed SQS messages (sent after the inner
/// commit, through an outbox), scheduled jobs and retries become delayed messages. A Hangfire server on it receives
/// its jobs from SQS itself (<see cref="ElasticSqsStorageOptions.ReceiveFromSqs"/>), or runs the jobs that the Elastic
/// Beanstalk worker daemon (sqsd) delivers to the worker endpoint of Hangfire.ElasticSqs.Worker.
/// </summary>
/// <remarks>Configure it with <c>UseElasticSqsStorage</c>; construct it directly only to hold a reference.</remarks>
public sealed class ElasticSqsStorage : JobStorage, IDisposable
{
    internal const string FetchedJobFeature = "TransactionalAcknowledge:" + nameof(ElasticSqsFetchedJob);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    private readonly Lazy<string> _storeId;
    private readonly OutboxSweeper? _sweeper;
    private readonly ILogger _logger;
    private readonly Lazy<PollingHost> _polling;
    private ChannelHost? _channelHost;
    private int _drainsOnProcessExit;

    /// <summary>Creates the storage over <paramref name="innerStorage"/>, validating <paramref name="options"/>.</summary>
    /// <param name="innerStorage">Holds job data and history: Hangfire.InMemory for one process, a shared database (e.g. Hangfire.PostgreSql) when web and worker tiers are separate.</param>
    /// <param name="options">Queues, signing keys and outbox settings; copied, so later changes have no effect.</param>
    /// <param name="sqs">The SQS client.</param>
    /// <param name="loggerFactory">Where logs go; none when null.</param>
    /// <param name="timeProvider">The clock; the system clock when null.</param>
    /// <exception cref="ElasticSqsConfigurationException">The options are invalid; the message lists every problem.</exception>
    public ElasticSqsStorage(JobStorage innerStorage, ElasticSqsStorageOptions options, IAmazonSQS sqs, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(innerStorage);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sqs);
        if (innerStorage is ElasticSqsStorage)
        {
            throw new ArgumentException("The inner storage is already an ElasticSqsStorage; wrap the storage that holds the data.", nameof(innerStorage));
        }

        ElasticSqsOptionsValidator.ThrowIfInvalid(options);
        Options = options.Clone();
        InnerStorage = innerStorage;
        Sqs = sqs;
        Time = timeProvider ?? TimeProvider.System;
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;

        // Hangfire reads this non-virtual value from the storage in the state context, i.e. from us.
        JobExpirationTimeout = innerStorage.JobExpirationTimeout;

        _storeId = new Lazy<string>(() => StoreIdentity.GetOrCreate(innerStorage), LazyThreadSafetyMode.ExecutionAndPublication);
        Signer = MessageSigner.FromOptions(Options);
        var resolver = new SqsQueueResolver(sqs, Options);
        Telemetry = new Diagnostics.ElasticSqsTelemetry(Options.EnableMetrics, Options.EnableTracing);
        var publisher = new JobMessagePublisher(sqs, resolver, Signer, () => StoreId, Time, LoggerFactory.CreateLogger<JobMessagePublisher>(), Options.SendBatchLinger, Telemetry);
        Outbox = new Outbox(innerStorage, publisher, Options, Time, LoggerFactory.CreateLogger<Outbox>());
        Monitor = new Dashboard.SqsMonitor(this);
        Telemetry.ObservePending(Outbox.PendingCount);
        Pipeline = new DeliveryPipeline(this);
        Leases = new JobLeases(this, LoggerFactory.CreateLogger<JobLeases>());
        LeasesJobs = InnerStorageDurability.IsDurable(innerStorage, Options.InnerStorageIsDurable);
        HandOff = new ChannelHandOff(Pipeline, Deliveries, Leases, Time);
        _polling = new Lazy<PollingHost>(() => new PollingHost(this), LazyThreadSafetyMode.ExecutionAndPublication);
        _logger = LoggerFactory.CreateLogger<ElasticSqsStorage>();
        BackgroundSends = new BackgroundSends(Outbox, OnBackgroundSendFailed);

        if (Options.EnableOutboxSweeper)
        {
            _sweeper = new OutboxSweeper(Outbox, Options.OutboxSweepInterval, Time, LoggerFactory.CreateLogger<OutboxSweeper>());
        }
    }

    /// <summary>The storage that holds job data, state history, recurring jobs and servers.</summary>
    public JobStorage InnerStorage { get; }

    /// <inheritdoc />
    public override bool LinearizableReads => InnerStorage.LinearizableReads;

    internal ElasticSqsStorageOptions Options { get; }

    internal IAmazonSQS Sqs { get; }

    internal TimeProvider Time { get; }

    internal ILoggerFactory LoggerFactory { get; }

    internal MessageSigner Signer { get; }

    internal Outbox Outbox { get; }

    /// <summary>SQS metrics and the last SQS error, for the Dashboard's SQS page.</summary>
    internal Dashboard.SqsMonitor Monitor { get; }

    /// <summary>Metrics and traces, with this storage's off switches.</summary>
    internal Diagnostics.ElasticSqsTelemetry Telemetry { get; }

    internal JobMessagePublisher Publisher => Outbox.Publisher;

    /// <summary>Sends of committed enqueues that the caller did not wait for (<see cref="SendFailureMode.KeepPending"/>).</summary>
    internal BackgroundSends BackgroundSends { get; }

    /// <summary>Identity of the inner storage, written into every message's envelope.</summary>
    internal string StoreId => _storeId.Value;

    /// <summary>Where a pushing host (the sqsd endpoint) hands deliveries to this storage's workers (the channel bridge).</summary>
    internal DeliveryChannel Deliveries { get; } = new();

    /// <summary>Queue names an enqueue of this storage has committed to the Dashboard's set of queue names.</summary>
    internal System.Collections.Concurrent.ConcurrentDictionary<string, byte> RecordedQueueNames { get; } = new(StringComparer.Ordinal);

    /// <summary>The delivery pipeline every host feeds.</summary>
    internal DeliveryPipeline Pipeline { get; }

    /// <summary>The pipeline and the channel bridge together, for pushing hosts.</summary>
    internal ChannelHandOff HandOff { get; }

    /// <summary>Long jobs' leases: their Processing state on a live server, sent again when given back.</summary>
    internal JobLeases Leases { get; }

    /// <summary>
    /// Whether a job may outlive its message under a lease: only on an inner storage that survives the process and is
    /// shared, where another instance can see the job and run it again.
    /// </summary>
    internal bool LeasesJobs { get; }

    /// <summary>How long poll mode may keep a message invisible: SQS's limit, counted from the receive.</summary>
    internal TimeSpan PollVisibilityLimit { get; set; } = TimeSpan.FromHours(12);

    /// <summary>The server timeout lease recovery judges servers by (the host's, when it sets one).</summary>
    internal TimeSpan LeaseServerTimeout { get; set; } = DeliverySettings.Default.ServerTimeout;

    /// <summary>
    /// The lease recovery a Hangfire server on this storage runs (none on a store that dies with its process). Hangfire
    /// asks the storage for it only in a full server; a host running a lightweight server adds it itself.
    /// </summary>
    internal IBackgroundProcess[] LeaseRecoveryProcesses() => LeasesJobs ? [new LeaseRecovery(this, LeaseServerTimeout)] : [];

    /// <summary>Poll mode's receivers; created on the first fetch.</summary>
    internal PollingHost Polling => _polling.Value;

    /// <summary>Whether Hangfire's own <c>RecurringJobScheduler</c> may trigger recurring jobs in this process.</summary>
    /// <remarks>In poll mode it does; with a pushing host it does only when that host says so (otherwise its cron.yaml
    /// periodic tasks trigger them); with neither, no server can run here (see <see cref="EnsureCanReceive"/>).</remarks>
    internal bool RunsRecurringJobScheduler => Options.ReceiveFromSqs || _channelHost is { RunsRecurringJobScheduler: true };

    /// <summary>
    /// The seam for a host that pushes deliveries (the sqsd endpoint package): from now on this storage's workers take
    /// their jobs from <see cref="Deliveries"/>. Called once, before the host starts its Hangfire server.
    /// </summary>
    /// <param name="name">The host, for error messages.</param>
    /// <param name="runsRecurringJobScheduler">Whether Hangfire's <c>RecurringJobScheduler</c> triggers recurring jobs (true), or the host does (false: cron.yaml).</param>
    /// <exception cref="ElasticSqsConfigurationException">Poll mode is on as well: a process receives one way.</exception>
    internal void UseChannelBridge(string name, bool runsRecurringJobScheduler)
    {
        if (Options.ReceiveFromSqs)
        {
            throw new ElasticSqsConfigurationException(
                $"{name} delivers jobs to this process, but ElasticSqsStorageOptions.ReceiveFromSqs is on as well, so its Hangfire servers would also receive from SQS. " +
                "Choose one: turn ReceiveFromSqs off where sqsd delivers the jobs (Elastic Beanstalk worker environments), or do not add the sqsd worker where the process polls SQS itself.");
        }

        _channelHost = new ChannelHost(name, runsRecurringJobScheduler);
    }

    /// <summary>Refuses to start a Hangfire server that could never receive a job, instead of showing it live and idle.</summary>
    internal void EnsureCanReceive()
    {
        if (!Options.ReceiveFromSqs && _channelHost is null)
        {
            throw new ElasticSqsConfigurationException(
                "A Hangfire server was started on ElasticSqsStorage, but this process has no way to receive jobs, so its workers would wait forever. " +
                "Set ElasticSqsStorageOptions.ReceiveFromSqs = true (Hangfire:ElasticSqs:ReceiveFromSqs) to receive jobs from SQS in this process (ECS, EKS, EC2, containers), " +
                "or add the Elastic Beanstalk worker endpoint (AddHangfireElasticSqsWorker) where sqsd delivers them. " +
                "A process that only enqueues jobs (a web tier) needs no Hangfire server: remove AddHangfireServer there.");
        }
    }

    /// <inheritdoc />
    public override IMonitoringApi GetMonitoringApi() => new ElasticSqsMonitoringApi(this, InnerStorage.GetMonitoringApi());

    /// <inheritdoc />
    public override IStorageConnection GetConnection() => new ElasticSqsConnection(this, InnerStorage.GetConnection());

    /// <inheritdoc />
    public override IStorageConnection GetReadOnlyConnection() => new ElasticSqsConnection(this, InnerStorage.GetReadOnlyConnection());

    /// <inheritdoc />
    public override bool HasFeature(string featureId)
    {
        ArgumentNullException.ThrowIfNull(featureId);
        if (featureId.StartsWith("TransactionalAcknowledge:", StringComparison.Ordinal))
        {
            return string.Equals(featureId, FetchedJobFeature, StringComparison.Ordinal);
        }

        return InnerStorage.HasFeature(featureId);
    }

    /// <inheritdoc />
    public override IEnumerable<IStateHandler> GetStateHandlers() => InnerStorage.GetStateHandlers();

    /// <inheritdoc />
    public override IEnumerable<IBackgroundProcess> GetServerRequiredProcesses()
    {
        EnsureCanReceive();
        var processes = InnerStorage.GetServerRequiredProcesses();
        return LeaseRecoveryProcesses() is [var recovery] ? processes.Append(recovery) : processes;
    }

    /// <inheritdoc />
    public override IEnumerable<IBackgroundProcess> GetStorageWideProcesses() => InnerStorage.GetStorageWideProcesses();

#pragma warning disable CS0618 // Forwarded for inner storages that still use components.
    /// <inheritdoc />
    [Obsolete("Please use the `GetStorageWideProcesses` and/or `GetServerRequiredProcesses` methods instead, and enable `JobStorageFeatures.ProcessesInsteadOfComponents`. Will be removed in 2.0.0.")]
    public override IEnumerable<IServerComponent> GetComponents()
    {
        EnsureCanReceive();
        var components = InnerStorage.GetComponents();
        return LeasesJobs ? components.Append(new LeaseRecoveryComponent(new LeaseRecovery(this, LeaseServerTimeout))) : components;
    }
#pragma warning restore CS0618

    /// <inheritdoc />
    public override void WriteOptionsToLog(ILog logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        logger.Info("Using ElasticSqs storage (jobs travel through Amazon SQS) with the following options:");
        logger.Info($"    Queues: {string.Join(", ", Options.Queues.Select(q => q.Key + " -> " + q.Value))}");
        logger.Info($"    Queue name prefix: {Options.QueueNamePrefix ?? "(none)"}");
        logger.Info($"    Signing key id: {Options.SigningKeyId}; verifying key ids: {string.Join(", ", Options.SigningKeys.Keys)}");
        logger.Info($"    Receive from SQS (poll mode): {Options.ReceiveFromSqs}");
        logger.Info($"    Send failure mode: {Options.SendFailureMode}; outbox re-send after {Options.OutboxResendAfter}");
        logger.Info($"Inner storage: {InnerStorage}");
        InnerStorage.WriteOptionsToLog(logger);
    }

    /// <inheritdoc />
    public override string ToString() => $"ElasticSqs over {InnerStorage}";

    /// <summary>
    /// Waits (up to 10 seconds) for the job messages still being sent, then stops the outbox sweeper and poll mode's
    /// receivers (received messages no worker started are given back). The inner
    /// storage is not disposed: it belongs to the caller.
    /// </summary>
    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        DrainSends();
        _sweeper?.Dispose();
        StopPolling();
        Telemetry.Dispose();
    }

    /// <summary>
    /// Makes the process wait at exit for the sends under way, as <see cref="Dispose"/> does. A program that enqueues
    /// and exits (a console tool, a script) must not leave its messages to a sweeper, or, on a store of its own, lose
    /// them. Called by <c>UseElasticSqsStorage</c>, the explicit opt-in to process-wide effects; idempotent.
    /// </summary>
    internal void DrainOnProcessExit()
    {
        if (Interlocked.Exchange(ref _drainsOnProcessExit, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        }
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        DrainSends();

        // Messages given back at shutdown must reach SQS before the process ends, or they wait out their timeout.
        StopPolling();
    }

    private void StopPolling()
    {
        if (_polling.IsValueCreated && !_polling.Value.DisposeAsync().AsTask().Wait(DrainTimeout))
        {
            _logger.LogWarning("Poll mode's last deletes and visibility changes did not finish within {Timeout}; those messages reappear at their visibility timeout", DrainTimeout);
        }
    }

    private void DrainSends()
    {
        if (!BackgroundSends.WaitIdle(DrainTimeout))
        {
            _logger.LogWarning("{Count} job message(s) were still being sent to SQS when the storage stopped; their outbox records remain and a sweeper sends them", BackgroundSends.UnderWay);
        }
    }

    private void OnBackgroundSendFailed(PreparedSend send, Exception error)
    {
        Monitor.RecordError($"sending job {send.Pending.JobId} to queue '{send.Pending.Queue}'", error);
        _logger.LogWarning(error, "Job {JobId} is stored but its message could not be sent to SQS queue {Queue} yet; the outbox sweeper will send it", send.Pending.JobId, send.Pending.Queue);
    }

    private sealed record ChannelHost(string Name, bool RunsRecurringJobScheduler);
}
