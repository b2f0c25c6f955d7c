namespace Hangfire.ElasticSqs.Lambda;

/// <summary>Settings of an <see cref="ElasticSqsLambdaHandler"/>.</summary>
public sealed class ElasticSqsLambdaOptions
{
    /// <summary>
    /// Hangfire workers, i.e. records of one batch that run at the same time. Default 10, the largest batch of a
    /// standard event source mapping without a batching window; records beyond it wait for a free worker.
    /// </summary>
    public int WorkerCount { get; set; } = 10;

    /// <summary>
    /// A record that no worker has started by the time only this much of the invocation is left is reported as a
    /// batch item failure, instead of being started and cut off by the function timeout. Default 5 seconds; keep the
    /// function timeout well above it plus the longest job.
    /// </summary>
    public TimeSpan SafetyMargin { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The Hangfire server's name (on the Dashboard's Servers page); the function's name when null.</summary>
    public string? ServerName { get; set; }

    /// <summary>Creates job instances; Hangfire's <see cref="JobActivator.Current"/> when null.</summary>
    public JobActivator? Activator { get; set; }
}
