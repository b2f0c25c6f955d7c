using Hangfire.ElasticSqs.Pipeline;

namespace Hangfire.ElasticSqs.Hosts;

/// <summary>
/// The one seam between the core and a host that is handed messages and must answer for each (the sqsd endpoint of
/// Hangfire.ElasticSqs.Worker, the Lambda handler): it feeds the delivery pipeline and gets back a <see cref="DeliveryResult"/>
/// to map onto its protocol. A host package uses nothing else of the core's internals.
/// </summary>
internal sealed class PushHost
{
    private readonly ElasticSqsStorage _storage;
    private readonly DeliverySettings _settings;
    private readonly TimeSpan _handOffTimeout;
    private readonly string _host;

    private PushHost(ElasticSqsStorage storage, DeliverySettings settings, TimeSpan handOffTimeout, string host)
    {
        _storage = storage;
        _settings = settings;
        _handOffTimeout = handOffTimeout;
        _host = host;
    }

    /// <summary>Jobs this process is running or about to run.</summary>
    public int JobsInFlight => _storage.Pipeline.InFlight.Count;

    /// <summary>The Hangfire queues the storage maps explicitly, plus <c>default</c>: what the host's server lists.</summary>
    public IReadOnlyList<string> Queues
        => [.. _storage.Options.Queues.Keys.Append("default").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Makes this process's Hangfire workers take their jobs from the pushing host (the channel bridge). Call once,
    /// before starting the host's Hangfire server.
    /// </summary>
    /// <param name="storage">The storage the host's server runs on.</param>
    /// <param name="name">The host, for error messages.</param>
    /// <param name="runsRecurringJobScheduler">True when Hangfire's own scheduler triggers recurring jobs; false when the host does (cron.yaml).</param>
    /// <param name="settings">The host's timings.</param>
    /// <param name="handOffTimeout">How long a delivery may wait for a free worker before the host is told to retry.</param>
    /// <param name="host">The host's short name in metrics and traces: <c>sqsd</c> or <c>lambda</c>.</param>
    /// <exception cref="ElasticSqsConfigurationException">Poll mode is on too.</exception>
    public static PushHost Attach(ElasticSqsStorage storage, string name, bool runsRecurringJobScheduler, DeliverySettings settings, TimeSpan handOffTimeout, string host = "sqsd")
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(settings);
        storage.UseChannelBridge(name, runsRecurringJobScheduler);
        storage.LeaseServerTimeout = settings.ServerTimeout;

        // A lease on a store that dies with the process would lose the job: hold until the outcome instead.
        return new PushHost(storage, storage.LeasesJobs ? settings : settings with { LeaseAfter = null }, handOffTimeout, host);
    }

    /// <summary>Runs one message through the pipeline, the signature verified before anything else is read, with this delivery's own bound on waiting for a worker.</summary>
    /// <param name="body">The message body.</param>
    /// <param name="attribute">The message's string attributes, by name (null when absent).</param>
    /// <param name="handOffTimeout">How long the job may wait for a free worker (a host with a deadline passes what is left of it).</param>
    public async Task<DeliveryResult> DeliverAsync(byte[] body, Func<string, string?> attribute, TimeSpan handOffTimeout)
        => TryRead(body, attribute, out var message, out var refusal) ? await HandOffAsync(message, handOffTimeout).ConfigureAwait(false) : refusal;

    /// <summary>
    /// The first half of <see cref="DeliverAsync"/>: verify, then parse. The message keeps
    /// no reference to <paramref name="body"/>, so a host can free the body's memory before <see cref="HandOffAsync(VerifiedMessage)"/>.
    /// </summary>
    public bool TryRead(ReadOnlySpan<byte> body, Func<string, string?> attribute, out VerifiedMessage message, out DeliveryResult refusal)
    {
        _storage.Telemetry.Received(_host);
        if (_storage.Pipeline.TryRead(body, attribute, out message, out refusal))
        {
            return true;
        }

        _storage.Telemetry.Finished(_host, refusal.Status);
        return false;
    }

    /// <summary>The second half: decide and hand the verified job to a worker (under a lease, the hold bound also bounds the wait).</summary>
    public Task<DeliveryResult> HandOffAsync(VerifiedMessage message) => HandOffAsync(message, _settings.LeaseAfter ?? _handOffTimeout);

    private async Task<DeliveryResult> HandOffAsync(VerifiedMessage message, TimeSpan handOffTimeout)
    {
        var result = await _storage.HandOff.DeliverAsync(message, _settings, handOffTimeout, _host).ConfigureAwait(false);
        _storage.Telemetry.Finished(_host, result.Status);
        return result;
    }

    /// <summary>Completes when the job messages this process is sending in the background (retries, continuations) have reached SQS.</summary>
    public Task WhenSendsIdleAsync() => _storage.BackgroundSends.WhenIdleAsync();

    /// <summary>New deliveries are refused from now on, and those no worker has taken are given back.</summary>
    public void BeginShutdown() => _storage.HandOff.BeginShutdown();
}
