using System.Diagnostics;

namespace Hangfire.ElasticSqs.Testing;

/// <summary>Waits on a condition with a deadline instead of sleeping for a fixed time.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultTimeout;
        T last = await probe().ConfigureAwait(false);
        while (!done(last))
        {
            if (deadline.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0.#} s waiting for {what}; last value: {last}");
            }

            await Task.Delay(25).ConfigureAwait(false);
            last = await probe().ConfigureAwait(false);
        }

        return last;
    }

    public static Task<T> Until<T>(Func<T> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
        => Until(() => Task.FromResult(probe()), done, what, timeout);

    public static Task True(Func<bool> condition, string what, TimeSpan? timeout = null)
        => Until(condition, static x => x, what, timeout);
}
