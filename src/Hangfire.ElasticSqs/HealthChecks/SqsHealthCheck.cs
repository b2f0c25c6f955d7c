using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Operations;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hangfire.ElasticSqs.HealthChecks;

/// <summary>Healthy when every mapped SQS queue answers <c>GetQueueAttributes</c>; reports their approximate counts.</summary>
internal sealed class SqsHealthCheck(Func<ElasticSqsStorage> storage) : IHealthCheck
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var elasticSqs = storage();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var target in QueueTarget.For(elasticSqs.Options, []))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CallTimeout);
            try
            {
                var queue = await elasticSqs.Publisher.Resolver.ResolveAsync(target.HangfireQueue, timeout.Token).ConfigureAwait(false);
                var attributes = await elasticSqs.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest(queue.Url, ["ApproximateNumberOfMessages"]), timeout.Token).ConfigureAwait(false);
                data[target.HangfireQueue + ".visible"] = attributes.ApproximateNumberOfMessages;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return HealthCheckResult.Unhealthy($"SQS queue of Hangfire queue '{target.HangfireQueue}' ({target.Name}) cannot be read: {ex.GetBaseException().Message}", ex, data);
            }
        }

        return HealthCheckResult.Healthy($"{data.Count} SQS queue(s) reachable", data);
    }
}
