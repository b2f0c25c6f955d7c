using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Enqueue;

/// <summary>
/// Runs <see cref="Outbox.SweepAsync"/> periodically inside the storage itself, so that a web tier that only
/// enqueues (no Hangfire server) still recovers from an SQS outage.
/// </summary>
internal sealed class OutboxSweeper : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public OutboxSweeper(Outbox outbox, TimeSpan interval, TimeProvider time, ILogger logger)
    {
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval, time);
            try
            {
                while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
                {
                    try
                    {
                        await outbox.SweepAsync(_stopping.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // The inner storage may be down too; the next tick tries again.
                        logger.LogWarning(ex, "Outbox sweep failed; retrying in {Interval}", interval);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stopping.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }

        _stopping.Dispose();
    }
}
