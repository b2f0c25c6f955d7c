using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Hangfire.ElasticSqs.Hosts;
using Hangfire.ElasticSqs.Pipeline;
using Hangfire.Server;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Lambda;

/// <summary>
/// Runs Hangfire jobs in an AWS Lambda function fed by an SQS event source mapping. Each record goes through the same
/// delivery pipeline as on the other hosts (signature verified before anything is parsed, then Hangfire's own
/// <c>Worker</c> with filters, <c>AutomaticRetry</c> and state history), and every record that was not completed is
/// reported as a batch item failure, so the mapping must have <c>ReportBatchItemFailures</c> on.
/// </summary>
/// <remarks>
/// <para>
/// Create one per execution environment (a static field of the function class) and keep it: its Hangfire server
/// starts at the first invocation, or at <see cref="Start"/>, and serves every invocation after it. The server is
/// lightweight: SQS delays carry scheduled jobs and retries, and recurring jobs are triggered elsewhere.
/// </para>
/// <para>
/// A job that failed and was scheduled for a retry is a completed record: the retry travels as a delayed message of
/// its own. A record is a failure when storage or SQS is down, when its type cannot be loaded, when its signature does
/// not verify, when the same job is running already, and when no worker started it before the safety margin.
/// </para>
/// </remarks>
public sealed partial class ElasticSqsLambdaHandler : IDisposable
{
    /// <summary>Kept for writing the response after the job messages of the batch are sent.</summary>
    private static readonly TimeSpan ResponseReserve = TimeSpan.FromMilliseconds(500);

    private readonly ElasticSqsStorage _storage;
    private readonly ElasticSqsLambdaOptions _options;
    private readonly ILogger _logger;
    private readonly Lazy<Started> _started;
    private int _disposed;

    /// <summary>Creates the handler over <paramref name="storage"/>; nothing starts before <see cref="Start"/> or the first invocation.</summary>
    /// <param name="storage">The storage the jobs are on; poll mode (<see cref="ElasticSqsStorageOptions.ReceiveFromSqs"/>) must be off.</param>
    /// <param name="options">Workers, safety margin, server name and activator; copied, so later changes have no effect.</param>
    /// <exception cref="ArgumentOutOfRangeException">The worker count is not positive, or the safety margin is negative.</exception>
    public ElasticSqsLambdaHandler(ElasticSqsStorage storage, ElasticSqsLambdaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        options ??= new ElasticSqsLambdaOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.WorkerCount, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SafetyMargin, TimeSpan.Zero, nameof(options));
        _storage = storage;
        _options = new ElasticSqsLambdaOptions
        {
            WorkerCount = options.WorkerCount,
            SafetyMargin = options.SafetyMargin,
            ServerName = options.ServerName,
            Activator = options.Activator,
        };
        _logger = storage.LoggerFactory.CreateLogger<ElasticSqsLambdaHandler>();
        _started = new Lazy<Started>(StartServer, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// Starts the Hangfire server now (from the function's constructor, during Lambda's init phase) instead of at the
    /// first invocation. Calling it again does nothing.
    /// </summary>
    /// <exception cref="ElasticSqsConfigurationException">Poll mode is on for the storage.</exception>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _ = _started.Value;
    }

    /// <summary>Handles one invocation given as the Lambda SQS event's JSON, and returns the <c>batchItemFailures</c> response as JSON.</summary>
    /// <param name="input">The event, as the Lambda runtime passes it.</param>
    /// <param name="remainingTime">What is left of the invocation (<c>ILambdaContext.RemainingTime</c>).</param>
    /// <returns>The response, positioned at its start.</returns>
    /// <exception cref="JsonException">The input is not a Lambda SQS event: the whole batch fails and is delivered again.</exception>
    public async Task<Stream> HandleAsync(Stream input, TimeSpan remainingTime)
    {
        ArgumentNullException.ThrowIfNull(input);
        var started = Stopwatch.GetTimestamp();
        var sqsEvent = await JsonSerializer.DeserializeAsync(input, LambdaJsonContext.Default.LambdaSqsEvent).ConfigureAwait(false)
            ?? throw new JsonException("The input is JSON null, not a Lambda SQS event.");
        var response = await HandleAsync(sqsEvent, remainingTime - Stopwatch.GetElapsedTime(started)).ConfigureAwait(false);
        var output = new MemoryStream();
        await JsonSerializer.SerializeAsync(output, response, LambdaJsonContext.Default.LambdaBatchResponse).ConfigureAwait(false);
        output.Position = 0;
        return output;
    }

    /// <summary>Handles one invocation: runs every record through the delivery pipeline, and names those not completed.</summary>
    /// <param name="sqsEvent">The batch.</param>
    /// <param name="remainingTime">What is left of the invocation (<c>ILambdaContext.RemainingTime</c>).</param>
    /// <returns>The records to deliver again; every other record is done with and the event source mapping deletes it.</returns>
    /// <exception cref="ElasticSqsConfigurationException">Poll mode is on for the storage.</exception>
    public async Task<LambdaBatchResponse> HandleAsync(LambdaSqsEvent sqsEvent, TimeSpan remainingTime)
    {
        ArgumentNullException.ThrowIfNull(sqsEvent);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var invoked = Stopwatch.GetTimestamp();
        var host = _started.Value.Host;
        var records = sqsEvent.Records ?? [];
        var startBy = remainingTime - _options.SafetyMargin;
        if (records.Count > 0 && startBy <= Stopwatch.GetElapsedTime(invoked))
        {
            LogNoTimeLeft(_logger, records.Count, remainingTime.TotalSeconds, _options.SafetyMargin.TotalSeconds);
        }

        // Started in order on this thread: each record's decision (the pipeline's in-flight hold on its job) is taken
        // before the next record's, so a duplicate within the batch meets the first one running, not a race.
        var deliveries = new Task<DeliveryResult>[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            var left = startBy - Stopwatch.GetElapsedTime(invoked);
            deliveries[i] = left > TimeSpan.Zero
                ? DeliverAsync(host, records[i], left)
                : Task.FromResult(new DeliveryResult(DeliveryStatus.Unavailable, "not started before the safety margin"));
        }

        await Task.WhenAll(deliveries).ConfigureAwait(false);

        // A retry or a continuation is a message sent after its job's outcome is recorded. The environment may be frozen
        // as soon as the response is returned, so wait for those sends (an unsent one stays in the outbox for its sweeper).
        var sendsLeft = remainingTime - Stopwatch.GetElapsedTime(invoked) - ResponseReserve;
        try
        {
            await host.WhenSendsIdleAsync().WaitAsync(sendsLeft > TimeSpan.Zero ? sendsLeft : TimeSpan.Zero).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogSendsUnfinished(_logger);
        }

        var failures = new List<LambdaBatchItemFailure>();
        for (var i = 0; i < records.Count; i++)
        {
            var result = deliveries[i].Result;
            var record = records[i];
            if (result.IsFinished)
            {
                LogFinished(_logger, record.MessageId, result.JobId, ReceiveCount(record), result.Status, result.Reason);
            }
            else
            {
                LogFailed(_logger, record.MessageId, result.JobId, ReceiveCount(record), result.Status, result.Reason);
                failures.Add(new LambdaBatchItemFailure { ItemIdentifier = record.MessageId });
            }
        }

        return new LambdaBatchResponse { BatchItemFailures = failures };
    }

    /// <summary>Refuses new records, gives back those no worker started, and stops the Hangfire server.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || !_started.IsValueCreated)
        {
            return;
        }

        _started.Value.Host.BeginShutdown();
        _started.Value.Server.Dispose();
    }

    private static async Task<DeliveryResult> DeliverAsync(PushHost host, LambdaSqsMessage record, TimeSpan handOffTimeout)
    {
        if (record.Body is null)
        {
            return new(DeliveryStatus.Malformed, "the record has no body");
        }

        var attributes = record.MessageAttributes;
        try
        {
            return await host.DeliverAsync(
                Encoding.UTF8.GetBytes(record.Body),
                name => attributes is not null && attributes.TryGetValue(name, out var value) ? value?.StringValue : null,
                handOffTimeout).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One record's unexpected error fails that record only; the rest of the batch is answered.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new(DeliveryStatus.Unavailable, "unexpected error: " + ex.GetType().Name + ": " + ex.Message);
        }
    }

    private static string? ReceiveCount(LambdaSqsMessage record)
        => record.Attributes is not null && record.Attributes.TryGetValue("ApproximateReceiveCount", out var count) ? count : null;

    private Started StartServer()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var watch = Stopwatch.StartNew();

        // No recurring scheduler here: jobs run wherever a record lands, and a scheduler in every execution
        // environment would trigger each occurrence once per environment.
        var host = PushHost.Attach(_storage, "The Lambda handler (ElasticSqsLambdaHandler)", runsRecurringJobScheduler: false, DeliverySettings.Default, _options.SafetyMargin, host: "lambda");
        var serverName = _options.ServerName ?? Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME") ?? Environment.MachineName;
        var server = new BackgroundJobServer(
            new BackgroundJobServerOptions
            {
                WorkerCount = _options.WorkerCount,
                IsLightweightServer = true,
                ServerName = serverName,
                Queues = [.. host.Queues],
                Activator = _options.Activator,
            },
            _storage,
            Array.Empty<IBackgroundProcess>());
        LogStarted(_logger, _options.WorkerCount, serverName, watch.Elapsed.TotalMilliseconds);
        return new Started(host, server);
    }

    [LoggerMessage(40, LogLevel.Information, "Hangfire.ElasticSqs Lambda handler started: {WorkerCount} workers, server {ServerName}, in {ElapsedMs:0.0} ms")]
    private static partial void LogStarted(ILogger logger, int workerCount, string serverName, double elapsedMs);

    [LoggerMessage(41, LogLevel.Debug, "SQS message {MessageId} job {JobId} receive {ReceiveCount}: done, {Status} ({Reason})")]
    private static partial void LogFinished(ILogger logger, string messageId, string? jobId, string? receiveCount, DeliveryStatus status, string reason);

    [LoggerMessage(42, LogLevel.Warning, "SQS message {MessageId} job {JobId} receive {ReceiveCount}: batch item failure, {Status} ({Reason})")]
    private static partial void LogFailed(ILogger logger, string messageId, string? jobId, string? receiveCount, DeliveryStatus status, string reason);

    [LoggerMessage(43, LogLevel.Warning, "{Count} record(s) arrived with {RemainingSeconds:0.0} s left, within the {MarginSeconds:0.0} s safety margin: all are failures. Raise the function timeout above the safety margin plus the longest job")]
    private static partial void LogNoTimeLeft(ILogger logger, int count, double remainingSeconds, double marginSeconds);

    [LoggerMessage(44, LogLevel.Warning, "Job messages of this batch were still being sent when the invocation ran out of time; their outbox records remain and the outbox sweeper sends them")]
    private static partial void LogSendsUnfinished(ILogger logger);

    private sealed record Started(PushHost Host, BackgroundJobServer Server);
}
