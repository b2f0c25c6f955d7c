using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.Worker;

/// <summary>
/// The one rule set for <see cref="ElasticSqsWorkerOptions"/>, checked when the host starts (<c>ValidateOnStart</c>),
/// every problem reported together.
/// </summary>
internal sealed class ElasticSqsWorkerOptionsValidator : IValidateOptions<ElasticSqsWorkerOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ElasticSqsWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Problems(options) is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    public static IReadOnlyList<string> Problems(ElasticSqsWorkerOptions options)
    {
        var problems = new List<string>();
        if (options.WorkerCount is < 1 or > 1000)
        {
            problems.Add($"WorkerCount must be between 1 and 1,000 (it is {options.WorkerCount}).");
        }

        if (options.HandOffTimeout <= TimeSpan.Zero)
        {
            problems.Add($"HandOffTimeout must be positive (it is {options.HandOffTimeout}).");
        }

        if (options.LeaseAfter is { } leaseAfter && (leaseAfter < TimeSpan.FromSeconds(1) || leaseAfter > TimeSpan.FromHours(12)))
        {
            problems.Add($"LeaseAfter must be between 1 second and 12 hours (it is {leaseAfter}); keep it below nginx's proxy_read_timeout (60 seconds on Elastic Beanstalk), or set it to null to hold every delivery until its job ends.");
        }

        if (options.DueTolerance < TimeSpan.Zero || options.DueTolerance > TimeSpan.FromMinutes(1))
        {
            problems.Add($"DueTolerance must be between 0 and 1 minute (it is {options.DueTolerance}).");
        }

        if (options.HeartbeatInterval < TimeSpan.FromSeconds(1))
        {
            problems.Add($"HeartbeatInterval must be at least 1 second (it is {options.HeartbeatInterval}).");
        }

        if (options.ServerTimeout <= options.HeartbeatInterval * 2)
        {
            problems.Add($"ServerTimeout ({options.ServerTimeout}) must be longer than twice HeartbeatInterval ({options.HeartbeatInterval}), or live servers are taken for dead and their jobs run twice.");
        }

        if (options.PeriodicTaskMaxDelay < TimeSpan.FromMinutes(1) || options.PeriodicTaskMaxDelay > TimeSpan.FromDays(4))
        {
            problems.Add($"PeriodicTaskMaxDelay must be between 1 minute and 4 days (it is {options.PeriodicTaskMaxDelay}).");
        }

        foreach (var address in options.TrustedGatewayAddresses)
        {
            if (!System.Net.IPAddress.TryParse(address, out _))
            {
                problems.Add($"TrustedGatewayAddresses has '{address}', which is not an IP address.");
            }
        }

        if (options.TrustedGatewayAddresses.Count > 0 && !options.TrustDockerGateway)
        {
            problems.Add("TrustedGatewayAddresses is set but TrustDockerGateway is off: enable it or remove the addresses.");
        }

        if (options.ExtraUserAgentPrefixes.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add("ExtraUserAgentPrefixes has an empty prefix, which would match every request.");
        }

        return problems;
    }
}
