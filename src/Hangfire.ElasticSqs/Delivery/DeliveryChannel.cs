using System.Threading.Channels;

namespace Hangfire.ElasticSqs.Delivery;

/// <summary>
/// The channel bridge: the sqsd endpoint writes deliveries, and <c>FetchNextJob</c> of the Hangfire workers on this
/// storage reads them, so jobs run in Hangfire's real <c>Worker</c> with every filter and state change. Bounded, so a
/// flood of requests waits (and times out with 503) instead of piling up in memory.
/// </summary>
internal sealed class DeliveryChannel
{
    private readonly Channel<JobDelivery> _channel;

    public DeliveryChannel(int capacity)
    {
        Capacity = capacity;
        _channel = Channel.CreateBounded<JobDelivery>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
    }

    public int Capacity { get; }

    /// <summary>Hands a delivery over; false when the channel stayed full for <paramref name="timeout"/>.</summary>
    public async ValueTask<bool> TryWriteAsync(JobDelivery delivery, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_channel.Writer.TryWrite(delivery))
        {
            return true;
        }

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await _channel.Writer.WriteAsync(delivery, timeoutSource.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Blocks until a delivery no one abandoned is available; throws when <paramref name="cancellationToken"/> fires.</summary>
    public JobDelivery Take(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!_channel.Reader.TryRead(out var delivery))
            {
                delivery = _channel.Reader.ReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult();
            }

            if (delivery.TryTake())
            {
                return delivery;
            }
        }
    }
}
