using Hangfire;
using Hangfire.ElasticSqs;
using Hangfire.ElasticSqs.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Health checks of Hangfire.ElasticSqs for <c>services.AddHealthChecks()</c>.</summary>
public static class ElasticSqsHealthCheckBuilderExtensions
{
    /// <summary>Tag of the checks a liveness probe should run: only this process's own Hangfire server.</summary>
    public static string LiveTag => "live";

    /// <summary>Tag of the checks a readiness probe should run: SQS, the inner storage and the outbox.</summary>
    public static string ReadyTag => "ready";

    /// <summary>
    /// Adds <c>elasticsqs-sqs</c> (every mapped queue answers), <c>elasticsqs-storage</c> (the inner storage answers) and
    /// <c>elasticsqs-outbox</c> (no send pending for longer than <paramref name="outboxStuckAfter"/>), tagged
    /// <see cref="ReadyTag"/>; and, when <paramref name="hangfireServer"/>, <c>elasticsqs-server</c> (a Hangfire server of
    /// this process has a heartbeat), tagged <see cref="LiveTag"/>. All are tagged <c>elasticsqs</c>. The Hangfire
    /// storage must be <see cref="ElasticSqsStorage"/>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="hangfireServer">Whether this process runs a Hangfire server (a worker or poll-mode host); false for a web role that only enqueues.</param>
    /// <param name="outboxStuckAfter">Age of a pending send that makes the outbox check Degraded. Default 5 minutes.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IHealthChecksBuilder AddElasticSqs(this IHealthChecksBuilder builder, bool hangfireServer = true, TimeSpan? outboxStuckAfter = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        static Func<ElasticSqsStorage> StorageFrom(IServiceProvider provider) => () => provider.GetService(typeof(JobStorage)) as ElasticSqsStorage
            ?? JobStorage.Current as ElasticSqsStorage
            ?? throw new ElasticSqsConfigurationException("The Hangfire.ElasticSqs health checks need ElasticSqsStorage: configure AddHangfire(c => c.UseElasticSqsStorage(...)).");
        static TimeProvider TimeFrom(IServiceProvider provider) => provider.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System;

        builder.Add(new HealthCheckRegistration("elasticsqs-sqs", p => new SqsHealthCheck(StorageFrom(p)), HealthStatus.Unhealthy, ["elasticsqs", ReadyTag]));
        builder.Add(new HealthCheckRegistration("elasticsqs-storage", p => new InnerStorageHealthCheck(StorageFrom(p)), HealthStatus.Unhealthy, ["elasticsqs", ReadyTag]));
        builder.Add(new HealthCheckRegistration("elasticsqs-outbox", p => new OutboxHealthCheck(StorageFrom(p), TimeFrom(p), outboxStuckAfter ?? TimeSpan.FromMinutes(5)), HealthStatus.Degraded, ["elasticsqs", ReadyTag]));
        if (hangfireServer)
        {
            builder.Add(new HealthCheckRegistration("elasticsqs-server", p => new HangfireServerHealthCheck(StorageFrom(p), TimeFrom(p), TimeSpan.FromMinutes(1)), HealthStatus.Unhealthy, ["elasticsqs", LiveTag]));
        }

        return builder;
    }
}
