using System.Collections.Concurrent;
using System.Diagnostics;
using Hangfire.Common;
using Hangfire.States;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>The jobs the benchmarks run.</summary>
public static class Jobs
{
    /// <summary>Latencies (enqueue → start) recorded by <see cref="Latency"/>, in milliseconds.</summary>
    internal static ConcurrentBag<double> Latencies { get; } = [];

    /// <summary>A job that does nothing.</summary>
    public static void NoOp()
    {
    }

    /// <summary>Records how long ago it was enqueued (a <see cref="Stopwatch"/> timestamp of this process).</summary>
    public static void Latency(long enqueuedAt) => Latencies.Add(Stopwatch.GetElapsedTime(enqueuedAt).TotalMilliseconds);
}

/// <summary>
/// Times a backlog on a stock server: from the first job entering Processing to the last one Succeeded (server start
/// and the first fetch are not counted).
/// </summary>
internal sealed class StateTimer : JobFilterAttribute, IApplyStateFilter
{
    private static StateTimer? s_current;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long>? _processing;
    private long _processingTicks;
    private long _first;
    private long _last;
    private int _succeeded;

    private StateTimer(bool trackJobs) => _processing = trackJobs ? new(StringComparer.Ordinal) : null;

    /// <param name="trackJobs">Also time each job from Processing to Succeeded (a dictionary operation per state).</param>
    public static StateTimer Install(bool trackJobs = false)
    {
        var timer = new StateTimer(trackJobs);
        Volatile.Write(ref s_current, timer);
        return timer;
    }

    public static void Register() => GlobalJobFilters.Filters.Add(new Forwarder());

    public int Succeeded => Volatile.Read(ref _succeeded);

    /// <summary>Mean time from Processing to Succeeded per job (tracked timers only).</summary>
    public TimeSpan MeanProcessing => Succeeded == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)Interlocked.Read(ref _processingTicks) / Stopwatch.Frequency / Succeeded);

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(Interlocked.Read(ref _first), Interlocked.Read(ref _last));

    public void OnStateApplied(ApplyStateContext context, Hangfire.Storage.IWriteOnlyTransaction transaction)
    {
        if (context.NewState is ProcessingState)
        {
            var now = Stopwatch.GetTimestamp();
            Interlocked.CompareExchange(ref _first, now, 0);
            _processing?.TryAdd(context.BackgroundJob.Id, now);
        }
        else if (context.NewState is SucceededState)
        {
            if (_processing is not null && _processing.TryRemove(context.BackgroundJob.Id, out var started))
            {
                Interlocked.Add(ref _processingTicks, Stopwatch.GetTimestamp() - started);
            }

            Interlocked.Exchange(ref _last, Stopwatch.GetTimestamp());
            Interlocked.Increment(ref _succeeded);
        }
    }

    public void OnStateUnapplied(ApplyStateContext context, Hangfire.Storage.IWriteOnlyTransaction transaction)
    {
    }

    public async Task WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (Succeeded < count)
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"only {Succeeded} of {count} jobs succeeded within {timeout}");
            }

            await Task.Delay(5);
        }
    }

    private sealed class Forwarder : IApplyStateFilter
    {
        public void OnStateApplied(ApplyStateContext context, Hangfire.Storage.IWriteOnlyTransaction transaction) => Volatile.Read(ref s_current)?.OnStateApplied(context, transaction);

        public void OnStateUnapplied(ApplyStateContext context, Hangfire.Storage.IWriteOnlyTransaction transaction)
        {
        }
    }
}
