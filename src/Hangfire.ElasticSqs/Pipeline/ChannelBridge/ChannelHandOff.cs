using Hangfire.ElasticSqs.Pipeline.Leasing;

namespace Hangfire.ElasticSqs.Pipeline.ChannelBridge;

/// <summary>
/// Runs verified messages of a pushing host (one that is handed a message and must answer for it, like the sqsd
/// endpoint) through the pipeline and, when the job should run, hands it to a Hangfire worker through the
/// <see cref="DeliveryChannel"/> and waits for its recorded outcome.
/// </summary>
internal sealed class ChannelHandOff
{
    /// <summary>How often a held delivery whose worker has not yet recorded Processing looks again.</summary>
    private static readonly TimeSpan LeaseCheckInterval = TimeSpan.FromMilliseconds(200);

    private readonly DeliveryPipeline _pipeline;
    private readonly DeliveryChannel _channel;
    private readonly JobLeases _leases;
    private readonly TimeProvider _time;
    private volatile bool _stopping;

    public ChannelHandOff(DeliveryPipeline pipeline, DeliveryChannel channel, JobLeases leases, TimeProvider time)
    {
        _pipeline = pipeline;
        _channel = channel;
        _leases = leases;
        _time = time;
    }

    /// <summary>New deliveries are refused from now on, and deliveries no worker has taken yet are given back.</summary>
    public void BeginShutdown()
    {
        _stopping = true;

        // Every delivery no worker has taken is still in the channel (a write that races with this is given back by
        // HandOffAsync's own check after writing).
        foreach (var delivery in _channel.Pending())
        {
            if (delivery.TryAbandon())
            {
                delivery.GiveBack();
            }
        }
    }

    /// <param name="message">A message whose signature verified.</param>
    /// <param name="settings">The host's timings.</param>
    /// <param name="handOffTimeout">How long the job may wait for a free worker before the host is told to retry.</param>
    /// <param name="host">The pushing host (sqsd, lambda), for metrics and traces.</param>
    public async Task<DeliveryResult> DeliverAsync(VerifiedMessage message, DeliverySettings settings, TimeSpan handOffTimeout, string host = "sqsd")
    {
        if (_stopping)
        {
            return new(DeliveryStatus.Unavailable, "shutting down", message.Envelope.JobId);
        }

        var decision = await _pipeline.DecideAsync(message, settings).ConfigureAwait(false);
        if (!decision.ShouldRun)
        {
            return decision.Result;
        }

        var leased = false;
        try
        {
            var result = await HandOffAsync(new JobDelivery(decision.RunJobId!, decision.Queue, host, message.TraceParent), settings, handOffTimeout).ConfigureAwait(false);
            leased = result.Status == DeliveryStatus.Leased;
            return result;
        }
        finally
        {
            if (!leased)
            {
                _pipeline.Release(decision.RunJobId!);
            }
        }
    }

    private async Task<DeliveryResult> HandOffAsync(JobDelivery delivery, DeliverySettings settings, TimeSpan handOffTimeout)
    {
        var jobId = delivery.JobId;
        var started = _time.GetTimestamp();
        if (_stopping)
        {
            return new(DeliveryStatus.Unavailable, "shutting down", jobId);
        }

        _channel.Write(delivery);
        if (_stopping && delivery.TryAbandon())
        {
            // BeginShutdown ran between the check above and the write, and may have missed this delivery.
            return new(DeliveryStatus.Unavailable, "shutting down", jobId);
        }

        var completion = delivery.Completion.Task;
        try
        {
            // One bound for the whole hand-off: a delivery no worker has taken within the timeout is abandoned,
            // whether all workers were busy or none is running. WaitAsync disposes its timer when the job completes
            // first (a Task.Delay per delivery would keep a timer alive for the whole timeout: thousands of them at
            // full rate).
            await completion.WaitAsync(handOffTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException) when (delivery.TryAbandon())
        {
            return new(DeliveryStatus.Unavailable, "no worker took the job in time", jobId);
        }
        catch (TimeoutException)
        {
            // A worker took it just as the bound passed: wait for its outcome below.
        }

        if (settings.LeaseAfter is { } leaseAfter)
        {
            var leasedResult = await HoldThenLeaseAsync(delivery, leaseAfter - _time.GetElapsedTime(started), settings).ConfigureAwait(false);
            if (leasedResult is { } result)
            {
                return result;
            }
        }

        // Taken: wait for the outcome however long the job runs. A client that disconnects does not cancel it.
        return await completion.ConfigureAwait(false) == DeliveryOutcome.Acknowledged
            ? new(DeliveryStatus.Completed, "outcome recorded", jobId)
            : new(DeliveryStatus.Unavailable, "the worker gave the job back (shutting down)", jobId);
    }

    /// <summary>
    /// Waits for the outcome until the hold ends; then, while the job still runs, hands it over to its lease once its
    /// Processing state on this live server is recorded (Hangfire's worker commits it before the job starts, so it is
    /// normally there already). The message is answered for only after that record is read back: a crash right after
    /// the answer leaves a job Processing on a dead server, which lease recovery sends again. Null: the job ended first.
    /// </summary>
    private async Task<DeliveryResult?> HoldThenLeaseAsync(JobDelivery delivery, TimeSpan left, DeliverySettings settings)
    {
        var completion = delivery.Completion.Task;
        if (left > TimeSpan.Zero)
        {
            try
            {
                await completion.WaitAsync(left, _time).ConfigureAwait(false);
                return null;
            }
            catch (TimeoutException)
            {
                // Still running at the bound.
            }
        }

        while (!completion.IsCompleted)
        {
            if (IsLeaseRecorded(delivery.JobId, settings) && delivery.TryLease(_leases.GiveBack))
            {
                // The pipeline's in-flight hold lasts as long as the job, so a redelivery here is still refused.
                var jobId = delivery.JobId;
                _ = completion.ContinueWith(_ => _pipeline.Release(jobId), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return new(DeliveryStatus.Leased, "still running at the hold bound: continues under a lease (Processing on this live server)", delivery.JobId);
            }

            try
            {
                await completion.WaitAsync(LeaseCheckInterval, _time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Look again.
            }
        }

        return null;
    }

    private bool IsLeaseRecorded(string jobId, DeliverySettings settings)
    {
        try
        {
            return _leases.IsRecorded(jobId, settings);
        }
#pragma warning disable CA1031 // The inner storage is unreachable: keep holding, as without a lease, and look again.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }
}
