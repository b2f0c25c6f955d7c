namespace Hangfire.ElasticSqs.Pipeline.ChannelBridge;

/// <summary>
/// The channel bridge: a pushing host (the sqsd endpoint) writes deliveries, and <c>FetchNextJob</c> of the Hangfire workers on this
/// storage takes them, so jobs run in Hangfire's real <c>Worker</c> with every filter and state change.
/// </summary>
/// <remarks>
/// <para>
/// A write never waits. The endpoint bounds the whole hand-off instead: a delivery no worker has taken within the
/// hand-off timeout is abandoned (503), and a worker that reaches it later skips it. So a flood of requests still
/// waits at most that long and is refused, and what waits is held by requests already in flight (sqsd's
/// <c>HttpConnections</c>), not by an unbounded producer.
/// </para>
/// <para>
/// Why not a bounded <c>System.Threading.Channels</c> channel: a writer parked on a full channel is resumed
/// through the thread pool when a worker made room (one extra thread hop per delivery under load, on top of the one
/// for the outcome), each parked write carries its own linked token and timer, and a worker blocked on
/// <c>ReadAsync().AsTask()</c> is woken through the thread pool too. Here a worker blocks on a semaphore that a write
/// releases directly.
/// </para>
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "SemaphoreSlim holds no OS handle unless AvailableWaitHandle is read, which this class never does; the channel lives as long as its storage.")]
internal sealed class DeliveryChannel
{
    // Guarded by locking it. A plain lock, as a bounded channel takes inside: held for an enqueue or a dequeue.
    private readonly Queue<JobDelivery> _queue = new();

    // At least one count per live delivery in _queue, so a worker blocks only while there is nothing to take. (A count
    // can outlive its delivery when an abandoned one is dropped below; it then wakes a worker for nothing.)
    private readonly SemaphoreSlim _available = new(0, int.MaxValue);

    /// <summary>Deliveries written and not yet taken or dropped (including abandoned ones no worker has reached).</summary>
    public int Count
    {
        get
        {
            lock (_queue)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Hands a delivery over, in order; the endpoint abandons it if no worker takes it in time.</summary>
    public void Write(JobDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        lock (_queue)
        {
            // A worker skips an abandoned delivery when it reaches it. If no worker ever comes (the server is not
            // running), abandoned deliveries would pile up, one per request sqsd makes: drop those at the head. They
            // time out in order, so the head is where they gather.
            while (_queue.TryPeek(out var head) && head.IsAbandoned)
            {
                _queue.Dequeue();
                _available.Wait(0);
            }

            _queue.Enqueue(delivery);
        }

        _available.Release();
    }

    /// <summary>The deliveries written and not yet taken or dropped, in order (a snapshot; some may be abandoned).</summary>
    public JobDelivery[] Pending()
    {
        lock (_queue)
        {
            return _queue.ToArray();
        }
    }

    /// <summary>Blocks until a delivery no one abandoned is available; throws when <paramref name="cancellationToken"/> fires.</summary>
    public JobDelivery Take(CancellationToken cancellationToken)
    {
        while (true)
        {
            _available.Wait(cancellationToken);
            JobDelivery? delivery;
            lock (_queue)
            {
                _queue.TryDequeue(out delivery);
            }

            if (delivery is not null && delivery.TryTake())
            {
                return delivery;
            }
        }
    }
}
