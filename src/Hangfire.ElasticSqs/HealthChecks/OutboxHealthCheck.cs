using Hangfire.ElasticSqs.Storage;
using Hangfire.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hangfire.ElasticSqs.HealthChecks;

/// <summary>
/// Degraded while sends older than the threshold are still pending in the outbox: SQS has not accepted them for that
/// long (unreachable, refusing, or no sweeper running). Jobs are not lost meanwhile, only late, hence not Unhealthy.
/// </summary>
internal sealed class OutboxHealthCheck(Func<ElasticSqsStorage> storage, TimeProvider time, TimeSpan stuckAfter) : IHealthCheck
{
    private const int Sample = 100;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var elasticSqs = storage();
            using var connection = (JobStorageConnection)elasticSqs.InnerStorage.GetConnection();
            var cutoff = (time.GetUtcNow() - stuckAfter).ToUnixTimeSeconds();
            var stuck = connection.GetFirstByLowestScoreFromSet(StorageKeys.Outbox, double.MinValue, cutoff, Sample).Count;
            var pending = connection.GetSetCount(StorageKeys.Outbox);
            var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["pending"] = pending, ["stuck"] = stuck };
            return Task.FromResult(stuck == 0
                ? HealthCheckResult.Healthy($"{pending} send(s) pending, none older than {stuckAfter.TotalMinutes:0.#} min", data)
                : HealthCheckResult.Degraded($"{(stuck == Sample ? "at least " : string.Empty)}{stuck} send(s) pending for more than {stuckAfter.TotalMinutes:0.#} min: SQS is not accepting them (see the Dashboard's SQS page for the last error).", data: data));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The outbox cannot be read: " + ex.GetBaseException().Message, ex));
        }
    }
}
