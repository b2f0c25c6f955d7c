namespace Hangfire.ElasticSqs.Enqueue;

/// <summary>
/// Sends committed outbox records without making the enqueuing thread wait for SQS
/// (<see cref="SendFailureMode.KeepPending"/>). The record is durable before the caller returns, so waiting for the
/// round trip bought the caller nothing but latency: a failure could not be reported to it anyway. A failed send
/// leaves the record to the sweeper. The number of sends under way is bounded; beyond it the caller waits for a free
/// slot, which throttles a producer faster than SQS to SQS's pace instead of piling messages up in memory.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The SemaphoreSlim never allocates a wait handle (AvailableWaitHandle is not used); disposing it would make a send finishing after a shutdown's drain timeout throw.")]
internal sealed class BackgroundSends
{
    /// <summary>Sends under way before an enqueue waits: 320 fill the 32 batches of 10 a queue may have in flight; the rest buffer bursts.</summary>
    public const int MaxUnderWay = 1000;

    private readonly Outbox _outbox;
    private readonly Action<PreparedSend, Exception> _onFailure;
    private readonly SemaphoreSlim _slots;
    private readonly object _drainLock = new();
    private TaskCompletionSource? _drained;
    private int _underWay;

    public BackgroundSends(Outbox outbox, Action<PreparedSend, Exception> onFailure, int maxUnderWay = MaxUnderWay)
    {
        _outbox = outbox;
        _onFailure = onFailure;
        _slots = new SemaphoreSlim(maxUnderWay, maxUnderWay);
    }

    /// <summary>Sends started and not finished (accepted by SQS, or failed and left to the sweeper).</summary>
    public int UnderWay => Volatile.Read(ref _underWay);

    /// <summary>Starts the sends on the thread pool and returns; waits only while the maximum number are under way.</summary>
    public void Start(IReadOnlyList<PreparedSend> sends)
    {
        foreach (var send in sends)
        {
            _slots.Wait();
            Interlocked.Increment(ref _underWay);

            // Off the caller's thread entirely: even the SDK's request marshalling and signing happen elsewhere.
            ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Self.SendAsync(state.Send), (Self: this, Send: send), preferLocal: false);
        }
    }

    /// <summary>Completes when no send is under way (those started later are not waited for once it completed).</summary>
    public Task WhenIdleAsync()
    {
        lock (_drainLock)
        {
            return UnderWay == 0 ? Task.CompletedTask : (_drained ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the sends under way, e.g. at shutdown; false when some are still going.</summary>
    public bool WaitIdle(TimeSpan timeout) => WhenIdleAsync().Wait(timeout);

    private async Task SendAsync(PreparedSend send)
    {
        try
        {
            var failures = await _outbox.SendAsync([send], CancellationToken.None).ConfigureAwait(false);
            foreach (var (failed, error) in failures)
            {
                _onFailure(failed, error);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _onFailure(send, ex); // Outbox.SendAsync reports failures rather than throwing; this is a last resort.
        }
        finally
        {
            _slots.Release();
            if (Interlocked.Decrement(ref _underWay) == 0)
            {
                lock (_drainLock)
                {
                    // Checked again under the lock: a send started meanwhile keeps waiters waiting.
                    if (UnderWay == 0)
                    {
                        _drained?.TrySetResult();
                        _drained = null;
                    }
                }
            }
        }
    }
}
