using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hangfire.ElasticSqs.HealthChecks;

/// <summary>
/// Healthy when a Hangfire server of this process has a fresh heartbeat. Hangfire names a server
/// <c>{ServerName}:{process id}:{guid}</c>, which tells this process's servers from the others on the same storage.
/// </summary>
internal sealed class HangfireServerHealthCheck(Func<ElasticSqsStorage> storage, TimeProvider time, TimeSpan heartbeatTimeout) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var marker = ":" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":";
            var now = time.GetUtcNow().UtcDateTime;
            var servers = storage().InnerStorage.GetMonitoringApi().Servers().Where(s => s.Name.Contains(marker, StringComparison.Ordinal)).ToList();
            var alive = servers.Where(s => s.Heartbeat is { } beat && now - beat < heartbeatTimeout).ToList();
            var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["servers"] = servers.Count, ["alive"] = alive.Count };
            return Task.FromResult(alive.Count > 0
                ? HealthCheckResult.Healthy($"{alive.Count} Hangfire server(s) of this process alive", data)
                : HealthCheckResult.Unhealthy(servers.Count == 0
                    ? "No Hangfire server of this process is registered: it has not started, or has stopped."
                    : $"No Hangfire server of this process had a heartbeat in the last {heartbeatTimeout.TotalSeconds:0} s.", data: data));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The Hangfire servers cannot be listed: " + ex.GetBaseException().Message, ex));
        }
    }
}
