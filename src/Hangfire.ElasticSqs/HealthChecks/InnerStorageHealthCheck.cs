using Hangfire.ElasticSqs.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hangfire.ElasticSqs.HealthChecks;

/// <summary>Healthy when the inner storage (job data, states, the outbox) answers a read.</summary>
internal sealed class InnerStorageHealthCheck(Func<ElasticSqsStorage> storage) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var inner = storage().InnerStorage;
        try
        {
            using var connection = inner.GetConnection();
            _ = connection.GetAllItemsFromSet(StorageKeys.Queues);
            return Task.FromResult(HealthCheckResult.Healthy($"{inner} reachable"));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"The inner Hangfire storage ({inner.GetType().Name}) cannot be read: {ex.GetBaseException().Message}", ex));
        }
    }
}
