using System.Diagnostics;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Hosts.Polling;

/// <summary>
/// Receives job messages for one Hangfire server's queues, for its workers blocked in <c>FetchNextJob</c>.
/// </summary>
/// <remarks>
/// <para>Demand-driven: the messages asked for by the receives in flight, plus those received and not yet taken, never
/// exceed the workers waiting — a received message's visibility clock is already running. On a backlog, ten waiting
/// workers make a receive at once; fewer wait a short linger (an eighth of the receive round trip) for others to join,
/// so that at saturation a receive carries nearly ten messages. The exception is an idle process, which keeps one long
/// poll open per queue (at least one message each; 20 s, or less to end inside the SQS client's Timeout), so an idle
/// process makes about three receive calls per queue per minute and still starts a job as soon as it is sent.</para>
/// <para>Priority: the queues are in the server's order. While a queue has a backlog (its last receive returned
/// messages), the queues after it are not received from, and workers take the first queue's messages first.</para>
/// </remarks>
internal sealed partial class SqsPoller : IDisposable
{
    private const int MaxMessagesPerReceive = 10;
    private const int MaxReceivesPerQueue = 10;
    private static readonly TimeSpan MaxErrorBackoff = TimeSpan.FromSeconds(20);

    /// <summary>Jobs shorter than this on average get their next message received while they run.</summary>
    private static readonly TimeSpan ShortJob = TimeSpan.FromMilliseconds(250);

    private readonly PollingHost _host;
    private readonly PollerLane[] _lanes;
    private readonly object _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ILogger _logger;
    private readonly Timer _planTimer;
    private long _planAt;
    private int _waiting;
    private int _running;
    private double _jobSeconds = double.NaN;
    private int _held;
    private int _asked;
    private bool _stopped;

    public SqsPoller(PollingHost host, IEnumerable<string> queues, ILogger logger)
    {
        _host = host;
        _logger = logger;
        _lanes = [.. queues.Select(q => new PollerLane(q))];
        _planTimer = new Timer(_ => OnPlanTimer());
    }

    /// <summary>Blocks until a message for one of the queues is received; throws when <paramref name="cancellationToken"/> fires.</summary>
    /// <remarks>
    /// Waits on <see cref="_lock"/> itself, which every receive pulses once per message it queued. A
    /// <see cref="SemaphoreSlim"/> spins and yields before it blocks: with dozens of idle workers on a few cores, that
    /// spinning took CPU from the jobs and the receives that would have freed them (docs/performance.md).
    /// </remarks>
    public PolledMessage Take(CancellationToken cancellationToken)
    {
        using var wake = cancellationToken.Register(WakeAll);
        lock (_lock)
        {
            _waiting++;
            Plan();
            while (true)
            {
                foreach (var lane in _lanes)
                {
                    if (lane.Received.TryDequeue(out var message))
                    {
                        _held--;
                        _waiting--;
                        _running++;
                        message.Poller = this;
                        message.TakenAt = Stopwatch.GetTimestamp();
                        Plan();
                        return message;
                    }
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    _waiting--;
                    cancellationToken.ThrowIfCancellationRequested();
                }

                Monitor.Wait(_lock);
            }
        }
    }

    private void WakeAll()
    {
        lock (_lock)
        {
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Stops receiving: receives under way are cancelled, and messages received but not taken are given back at once.</summary>
    public void Stop()
    {
        List<PolledMessage> release = [];
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            foreach (var lane in _lanes)
            {
                release.AddRange(lane.Received);
                lane.Received.Clear();
            }

            _held = 0;
        }

        _stop.Cancel();
        foreach (var message in release)
        {
            _host.GiveBack(message);
        }

        if (release.Count > 0)
        {
            LogReleased(_logger, release.Count);
        }
    }

    /// <remarks>The cancellation source is not disposed: receives and retries still under way read its token.</remarks>
    public void Dispose()
    {
        Stop();
        _planTimer.Dispose();
    }

    /// <summary>Under the lock: has <see cref="Plan"/> run again at <paramref name="at"/> (a Stopwatch timestamp), unless it is to run sooner.</summary>
    private void PlanAgainAt(long at)
    {
        if (_planAt != 0 && _planAt <= at)
        {
            return;
        }

        _planAt = at;
        var due = Math.Max(1, (long)Math.Ceiling(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), at).TotalMilliseconds));
        _planTimer.Change(due, Timeout.Infinite);
    }

    private void OnPlanTimer()
    {
        lock (_lock)
        {
            _planAt = 0;
            Plan();
        }
    }

    /// <summary>A worker is done with a message it took (its job ran, or the pipeline decided not to run it).</summary>
    public void Finished(PolledMessage message)
    {
        var seconds = Stopwatch.GetElapsedTime(message.TakenAt).TotalSeconds;
        lock (_lock)
        {
            _running--;
            _jobSeconds = double.IsNaN(_jobSeconds) ? seconds : (0.9 * _jobSeconds) + (0.1 * seconds);
            Plan();
        }
    }

    /// <summary>
    /// Messages to have received or on their way: one per waiting worker and, while jobs are short, one more per worker
    /// running a job, which will be free within a fraction of a second. That hides the receive round trip behind the
    /// running job instead of adding it to every job; long jobs get no such message, whose visibility would run idle.
    /// </summary>
    private int Demand => _waiting + (_jobSeconds < ShortJob.TotalSeconds ? _running : 0);

    /// <summary>Starts the receives the workers need. Called under the lock whenever demand or supply changes.</summary>
    private void Plan()
    {
        var demand = Demand;
        if (_stopped || demand == 0)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var need = demand - _held - _asked;

        // A worker waits with nothing received to take. The long polls of the queues before a queue may already ask for
        // as many messages as there are waiting workers (one worker, two queues), so "need" alone would leave that
        // queue without any receive for as long as the queues before it stay empty.
        var idle = _waiting > _held;
        for (var i = 0; i < _lanes.Length; i++)
        {
            var lane = _lanes[i];
            if (lane.RetryAt > now)
            {
                continue; // Failing: the queues after it must not wait for it.
            }

            if (lane.Backlogged)
            {
                // Full receives at once; the rest of the demand only once it has lingered a little, or when nothing is
                // in flight, so that at saturation receives carry close to 10 messages instead of one per worker.
                while (need >= MaxMessagesPerReceive && lane.ReceivesInFlight < MaxReceivesPerQueue)
                {
                    Start(lane, MaxMessagesPerReceive, waitSeconds: 0);
                    need -= MaxMessagesPerReceive;
                }

                if (need <= 0 || lane.ReceivesInFlight >= MaxReceivesPerQueue)
                {
                    lane.PartialSince = 0;
                }
                else if (!idle && need < PartialBatch(demand))
                {
                    // Every waiting worker has a message to take: rather than a receive per finished job (one message
                    // each when round trips are fast), wait until a few messages are wanted. Each finished job raises
                    // the need, and a worker left with nothing to take starts a receive at once.
                    lane.PartialSince = 0;
                }
                else if (lane.ReceivesInFlight == 0 || lane.Linger == 0 || (lane.PartialSince != 0 && now - lane.PartialSince >= lane.Linger))
                {
                    Start(lane, need, waitSeconds: 0);
                    lane.PartialSince = 0;
                }
                else
                {
                    if (lane.PartialSince == 0)
                    {
                        lane.PartialSince = now;
                    }

                    PlanAgainAt(lane.PartialSince + lane.Linger);
                }

                if (idle && lane.ReceivesInFlight == 0)
                {
                    Start(lane, 1, waitSeconds: 0); // Finds out whether the backlog is still there.
                }

                return; // Strict priority: nothing from the queues after this one while it has a backlog.
            }

            if (idle && lane.ReceivesInFlight == 0)
            {
                var idleLanesLeft = _lanes.Length - i;
                var ask = Math.Clamp(need / idleLanesLeft, 1, MaxMessagesPerReceive);
                Start(lane, ask, waitSeconds: _host.LongPollSeconds);
                need -= ask;
            }
        }
    }

    /// <summary>The smallest partial receive worth a call while no worker is idle: half a full one, less for small servers.</summary>
    private static int PartialBatch(int demand) => Math.Clamp(demand / 2, 1, MaxMessagesPerReceive / 2);

    private void Start(PollerLane lane, int ask, int waitSeconds)
    {
        lane.ReceivesInFlight++;
        _asked += ask;
        _ = Task.Run(() => ReceiveAsync(lane, ask, waitSeconds));
    }

    private async Task ReceiveAsync(PollerLane lane, int ask, int waitSeconds)
    {
        List<PolledMessage> messages;
        try
        {
            var queue = lane.Queue ?? await _host.ResolveAsync(lane.HangfireQueue, _stop.Token).ConfigureAwait(false);
            var startedAt = Stopwatch.GetTimestamp();
            var response = await _host.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = queue.Url,
                MaxNumberOfMessages = ask,
                WaitTimeSeconds = waitSeconds,
                MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = [MessageSystemAttributeName.ApproximateReceiveCount],
            }, _stop.Token).ConfigureAwait(false);
            var receivedAt = Stopwatch.GetTimestamp();
            messages = [.. (response.Messages ?? []).Select(m => new PolledMessage(queue, m, receivedAt))];
            if (messages.Count == 0)
            {
                _host.Telemetry.EmptyReceive(lane.HangfireQueue);
            }
            foreach (var message in messages)
            {
                _host.Keeper.Hold(message);
            }

            lock (_lock)
            {
                lane.Queue = queue;
                lane.Failures = 0;
                lane.Backlogged = messages.Count > 0;
                if (waitSeconds == 0)
                {
                    lane.RecordRoundTrip(receivedAt - startedAt);
                }

                Finish(lane, ask);
                if (!_stopped)
                {
                    foreach (var message in messages)
                    {
                        lane.Received.Enqueue(message);
                    }

                    _held += messages.Count;
                    for (var i = 0; i < messages.Count; i++)
                    {
                        Monitor.Pulse(_lock); // one waiting worker per message; the others sleep on
                    }

                    Plan();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            lock (_lock)
            {
                Finish(lane, ask);
            }

            return;
        }
#pragma warning disable CA1031 // An SQS error must not end receiving: back off with jitter and try again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            TimeSpan backoff;
            lock (_lock)
            {
                lane.Failures++;
                backoff = Backoff(lane.Failures);
                lane.RetryAt = Stopwatch.GetTimestamp() + (long)(backoff.TotalSeconds * Stopwatch.Frequency);
                Finish(lane, ask);
                Plan();
            }

            _host.RecordError($"receiving from queue '{lane.HangfireQueue}'", ex);
            LogReceiveFailed(_logger, ex, lane.HangfireQueue, backoff.TotalSeconds);
            _ = RetryLaterAsync(backoff);
            return;
        }

        // Stopped while receiving: give these back at once.
        foreach (var message in messages)
        {
            _host.GiveBack(message);
        }
    }

    private void Finish(PollerLane lane, int ask)
    {
        lane.ReceivesInFlight--;
        _asked -= ask;
    }

    private async Task RetryLaterAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        lock (_lock)
        {
            Plan();
        }
    }

    /// <summary>Exponential from 1 second up to 20, with ±20 % jitter so that many processes do not retry in step.</summary>
    private static TimeSpan Backoff(int failures)
    {
        var seconds = Math.Min(Math.Pow(2, Math.Min(failures - 1, 10)), MaxErrorBackoff.TotalSeconds);
#pragma warning disable CA5394 // Jitter, not security.
        return TimeSpan.FromSeconds(seconds * (0.8 + (Random.Shared.NextDouble() * 0.4)));
#pragma warning restore CA5394
    }

    [LoggerMessage(60, LogLevel.Warning, "Receiving from Hangfire queue {Queue} failed; trying again in {Seconds:0.0} s")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception, string queue, double seconds);

    [LoggerMessage(61, LogLevel.Information, "Stopped receiving: gave back {Count} received message(s) that no worker had started, for another process to take at once")]
    private static partial void LogReleased(ILogger logger, int count);
}
