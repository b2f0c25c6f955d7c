using Amazon.SQS;
using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>
/// A local stand-in for Elastic Beanstalk's worker daemon (aws-sqsd): long-polls one SQS queue and POSTs
/// each message to the application with sqsd's exact headers, deletes it only on a <c>200</c>, and runs the
/// periodic tasks of a <c>cron.yaml</c> through the queue like the real daemon. Use it as a hosted service
/// (<c>services.AddLocalSqsd(...)</c>) or on its own: <c>await using var sqsd = new LocalSqsd(...);
/// await sqsd.StartAsync(ct);</c>.
/// </summary>
public sealed class LocalSqsd : IHostedService, IAsyncDisposable, IDisposable
{
    private readonly LocalSqsdOptions _options;
    private readonly IAmazonSQS _sqs;
    private readonly bool _ownsSqs;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly BatchDeleter _deleter;
    private readonly ReceivePump _pump;
    private PeriodicTaskScheduler? _scheduler;
    private int _state; // 0 created, 1 started, 2 stopped
    private int _disposed;

    /// <summary>Creates a daemon; nothing happens until <see cref="StartAsync"/>.</summary>
    /// <param name="options">
    /// The settings; validated here, all problems reported in one exception. They are copied, so later
    /// changes to the object have no effect.
    /// </param>
    /// <param name="sqs">The SQS client for the worker queue; owned by the caller.</param>
    /// <param name="httpClient">
    /// The client that POSTs to the application, owned by the caller; null creates one that honours
    /// <see cref="LocalSqsdOptions.HttpConnections"/> and <see cref="LocalSqsdOptions.ConnectTimeout"/> and
    /// never follows redirects. A supplied client should not follow redirects either (sqsd does not).
    /// </param>
    /// <param name="logger">Receives sqsd-style delivery lines; null logs nothing.</param>
    /// <param name="timeProvider">The clock for cron fire times, message expiry and timeouts; null is the system clock.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public LocalSqsd(LocalSqsdOptions options, IAmazonSQS sqs, HttpClient? httpClient = null, ILogger? logger = null, TimeProvider? timeProvider = null)
        : this(options, sqs, ownsSqs: false, httpClient, logger, timeProvider)
    {
    }

    internal LocalSqsd(LocalSqsdOptions options, IAmazonSQS sqs, bool ownsSqs, HttpClient? httpClient, ILogger? logger, TimeProvider? timeProvider)
    {
        LocalSqsdOptionsValidation.ThrowIfInvalid(options);
        ArgumentNullException.ThrowIfNull(sqs);
        options = options.Copy();
        _options = options;
        _sqs = sqs;
        _ownsSqs = ownsSqs;
        _ownsHttp = httpClient is null;
        _http = httpClient ?? SqsdHttpClient.Create(options);
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        var queueUrl = options.WorkerQueueURL!;
        var requests = new SqsdRequestFactory(options, QueueName(queueUrl), _logger);
        _deleter = new BatchDeleter(sqs, queueUrl, options.BatchDeleteDelay, _time, _logger);
        var delivery = new MessageDelivery(options, queueUrl, sqs, _http, requests, _deleter, _time, _logger);
        _pump = new ReceivePump(options, sqs, delivery, _time, _logger);
    }

    /// <summary>
    /// Loads the <c>cron.yaml</c> (if configured), then starts polling in the background and returns.
    /// </summary>
    /// <param name="cancellationToken">Cancels loading the <c>cron.yaml</c>.</param>
    /// <exception cref="InvalidOperationException">The daemon was already started.</exception>
    /// <exception cref="FormatException">The <c>cron.yaml</c> or one of its schedules is invalid.</exception>
    /// <exception cref="IOException">The <c>cron.yaml</c> cannot be read.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("This local sqsd was already started; create a new one to start again.");
        }

        if (!string.IsNullOrEmpty(_options.CronYamlPath))
        {
            var yaml = await File.ReadAllTextAsync(_options.CronYamlPath, cancellationToken).ConfigureAwait(false);
            _scheduler = new PeriodicTaskScheduler(_sqs, _options.WorkerQueueURL!, CronYamlFile.Parse(yaml).Tasks, _time, _logger);
            _logger.CronYamlLoaded(_scheduler.TaskCount, _options.CronYamlPath);
        }

        _deleter.Start();
        _scheduler?.Start();
        _pump.Start();
        _logger.Started(_options.WorkerQueueURL!, _options.BaseAddress, _options.HttpConnections);
    }

    /// <summary>
    /// Stops receiving and scheduling, lets deliveries in flight finish (up to
    /// <see cref="LocalSqsdOptions.DrainTimeout"/> or until <paramref name="cancellationToken"/> is cancelled,
    /// after which they are abandoned and their messages made visible again), then sends the pending deletes.
    /// Calling it again, or before starting, does nothing.
    /// </summary>
    /// <param name="cancellationToken">Cut the wait for deliveries in flight short.</param>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            return;
        }

        if (_scheduler is not null)
        {
            await _scheduler.StopAsync().ConfigureAwait(false);
        }

        await _pump.StopReceivingAsync().ConfigureAwait(false);
        if (!await _pump.DrainAsync(_options.DrainTimeout, cancellationToken).ConfigureAwait(false))
        {
            _logger.DrainTimedOut(_pump.InFlightCount);
            await _pump.AbandonInFlightAsync().ConfigureAwait(false);
        }

        await _deleter.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Stops (see <see cref="StopAsync"/>) and releases the HTTP client if this daemon created it.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        ReleaseResources();
    }

    /// <summary>
    /// Abandons deliveries in flight without waiting and releases resources; their messages come back after
    /// the visibility timeout. Prefer <see cref="StopAsync"/> or <see cref="DisposeAsync"/>, which drain and
    /// send pending deletes.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _state, 2) == 1)
        {
            _ = _deleter.CompleteAsync();
        }

        ReleaseResources();
    }

    internal static string QueueName(string queueUrl) => queueUrl.TrimEnd('/').Split('/')[^1];

    private void ReleaseResources()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _scheduler?.Dispose();
        _pump.Dispose();
        if (_ownsHttp)
        {
            _http.Dispose();
        }

        if (_ownsSqs)
        {
            _sqs.Dispose();
        }
    }
}
