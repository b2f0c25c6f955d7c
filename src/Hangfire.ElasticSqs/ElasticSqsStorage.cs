using Amazon.SQS;
using Hangfire.ElasticSqs.Configuration;
using Hangfire.ElasticSqs.Delivery;
using Hangfire.ElasticSqs.Enqueue;
using Hangfire.ElasticSqs.Messages;
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
/// commit, through an outbox), scheduled jobs and retries become delayed messages, and workers fetch the jobs that
/// the Elastic Beanstalk worker daemon (sqsd) delivers to the worker endpoint.
/// </summary>
/// <remarks>Configure it with <c>UseElasticSqsStorage</c>; construct it directly only to hold a reference.</remarks>
public sealed class ElasticSqsStorage : JobStorage, IDisposable
{
    internal const string FetchedJobFeature = "TransactionalAcknowledge:" + nameof(ElasticSqsFetchedJob);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);
    private readonly Lazy<string> _storeId;
    private readonly OutboxSweeper? _sweeper;
    private readonly ILogger _logger;

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
        var publisher = new JobMessagePublisher(sqs, resolver, Signer, () => StoreId, Time, LoggerFactory.CreateLogger<JobMessagePublisher>(), Options.SendBatchLinger);
        Outbox = new Outbox(innerStorage, publisher, Options, Time, LoggerFactory.CreateLogger<Outbox>());
        Monitor = new Dashboard.SqsMonitor(this);
        _logger = LoggerFactory.CreateLogger<ElasticSqsStorage>();
        BackgroundSends = new BackgroundSends(Outbox, OnBackgroundSendFailed);

        // A program that enqueues and exits (a console tool, a script) must not leave its messages to a sweeper, or,
        // on a store of its own, lose them: the process waits for the sends under way.
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        Dashboard.ElasticSqsDashboard.Register();
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

    internal JobMessagePublisher Publisher => Outbox.Publisher;

    /// <summary>Sends of committed enqueues that the caller did not wait for (<see cref="SendFailureMode.KeepPending"/>).</summary>
    internal BackgroundSends BackgroundSends { get; }

    /// <summary>Identity of the inner storage, written into every message's envelope.</summary>
    internal string StoreId => _storeId.Value;

    /// <summary>Where the sqsd endpoint hands deliveries to this storage's workers (the channel bridge).</summary>
    internal DeliveryChannel Deliveries { get; } = new();

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
    public override IEnumerable<IBackgroundProcess> GetServerRequiredProcesses() => InnerStorage.GetServerRequiredProcesses();

    /// <inheritdoc />
    public override IEnumerable<IBackgroundProcess> GetStorageWideProcesses() => InnerStorage.GetStorageWideProcesses();

#pragma warning disable CS0618 // Forwarded for inner storages that still use components.
    /// <inheritdoc />
    [Obsolete("Please use the `GetStorageWideProcesses` and/or `GetServerRequiredProcesses` methods instead, and enable `JobStorageFeatures.ProcessesInsteadOfComponents`. Will be removed in 2.0.0.")]
    public override IEnumerable<IServerComponent> GetComponents() => InnerStorage.GetComponents();
#pragma warning restore CS0618

    /// <inheritdoc />
    public override void WriteOptionsToLog(ILog logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        logger.Info("Using ElasticSqs storage (jobs travel through Amazon SQS) with the following options:");
        logger.Info($"    Queues: {string.Join(", ", Options.Queues.Select(q => q.Key + " -> " + q.Value))}");
        logger.Info($"    Queue name prefix: {Options.QueueNamePrefix ?? "(none)"}");
        logger.Info($"    Signing key id: {Options.SigningKeyId}; verifying key ids: {string.Join(", ", Options.SigningKeys.Keys)}");
        logger.Info($"    Send failure mode: {Options.SendFailureMode}; outbox re-send after {Options.OutboxResendAfter}");
        logger.Info($"Inner storage: {InnerStorage}");
        InnerStorage.WriteOptionsToLog(logger);
    }

    /// <inheritdoc />
    public override string ToString() => $"ElasticSqs over {InnerStorage}";

    /// <summary>
    /// Waits (up to 10 seconds) for the job messages still being sent, then stops the outbox sweeper. The inner
    /// storage is not disposed: it belongs to the caller.
    /// </summary>
    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        DrainSends();
        _sweeper?.Dispose();
    }

    private void OnProcessExit(object? sender, EventArgs e) => DrainSends();

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
}
