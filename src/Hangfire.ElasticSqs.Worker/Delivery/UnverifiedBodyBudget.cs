namespace Hangfire.ElasticSqs.Worker.Delivery;

/// <summary>
/// Bounds the memory that request bodies can hold before their signature is checked. Anyone who reaches the endpoint
/// can announce a 1 MiB body and send it slowly; without a bound, enough such requests hold any amount of memory.
/// A request that does not fit is answered 503 at once (sqsd retries it later) and nothing is allocated for it.
/// </summary>
internal sealed class UnverifiedBodyBudget
{
    /// <summary>64 MiB: 64 full-size SQS messages at once, above sqsd's connection count on any instance size.</summary>
    public const long DefaultCapacity = 64L * 1024 * 1024;

    private long _available;

    public UnverifiedBodyBudget(long capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, (long)ElasticSqsStorageOptions.SqsHardMessageSizeLimit);
        Capacity = capacity;
        _available = capacity;
    }

    public long Capacity { get; }

    /// <summary>Bytes not reserved by a body being read or verified right now.</summary>
    public long Available => Interlocked.Read(ref _available);

    public bool TryReserve(int bytes)
    {
        var current = Interlocked.Read(ref _available);
        while (current >= bytes)
        {
            var seen = Interlocked.CompareExchange(ref _available, current - bytes, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    public void Release(int bytes) => Interlocked.Add(ref _available, bytes);
}
