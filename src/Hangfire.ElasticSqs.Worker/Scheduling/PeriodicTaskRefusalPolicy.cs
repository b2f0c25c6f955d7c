using Hangfire.ElasticSqs.Worker.Hosting;
using Hangfire.ElasticSqs.Worker.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.Worker.Scheduling;

/// <summary>
/// In <see cref="RecurringJobSchedulerMode.Hangfire"/> mode, answers every periodic-task request (one carrying
/// <c>X-Aws-Sqsd-Taskname</c>) that reaches the sqsd endpoints with 404 and logs it, so a recurring job is never
/// triggered both by Hangfire's scheduler and by a cron.yaml task. Runs after <see cref="SqsdEndpointMatcherPolicy"/>,
/// so requests the worker does not handle at all still pass to the application. The loopback gate runs first, as on
/// every sqsd endpoint: a request from outside gets 403, and no answer repeats a request header.
/// </summary>
internal sealed partial class PeriodicTaskRefusalPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    private readonly IOptions<ElasticSqsWorkerOptions> _options;
    private readonly SqsdRequestGate _gate;
    private readonly ILogger _logger;
    private readonly Endpoint _refusal;

    public PeriodicTaskRefusalPolicy(IOptions<ElasticSqsWorkerOptions> options, SqsdRequestGate gate, ILogger<PeriodicTaskRefusalPolicy> logger)
    {
        _options = options;
        _gate = gate;
        _logger = logger;
        _refusal = new Endpoint(RefuseAsync, new EndpointMetadataCollection(SqsdEndpointMetadata.Instance), "Hangfire.ElasticSqs periodic task refused (RecurringJobScheduler = Hangfire)");
    }

    public override int Order => 1;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints)
        => endpoints.Any(e => e.Metadata.GetMetadata<SqsdEndpointMetadata>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        if (_options.Value.RecurringJobScheduler != RecurringJobSchedulerMode.Hangfire
            || !httpContext.Request.Headers.ContainsKey(SqsdHeaderNames.TaskName))
        {
            return Task.CompletedTask;
        }

        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates.IsValidCandidate(i) && candidates[i].Endpoint.Metadata.GetMetadata<SqsdEndpointMetadata>() is not null)
            {
                candidates.ReplaceEndpoint(i, _refusal, candidates[i].Values);
            }
        }

        return Task.CompletedTask;
    }

    private Task RefuseAsync(HttpContext context)
    {
        var gate = _gate.Evaluate(context);
        if (!gate.IsAllowed)
        {
            LogGateRefused(_logger, context.Connection.RemoteIpAddress?.ToString(), gate.Reason);
            return WorkerResponses.Forbidden(context.Response);
        }

        LogRefused(_logger, LogValue.Sanitize(context.Request.Headers[SqsdHeaderNames.TaskName].ToString()));
        return WorkerResponses.NotFound(context.Response, "Periodic task refused: recurring jobs are scheduled by Hangfire's own scheduler in this worker (RecurringJobScheduler = Hangfire); remove the task from cron.yaml.");
    }

    [LoggerMessage(50, LogLevel.Warning, "Periodic task {TaskName} refused with 404: RecurringJobScheduler is Hangfire, so Hangfire's own scheduler triggers recurring jobs and cron.yaml tasks must not (remove the task from cron.yaml)")]
    private static partial void LogRefused(ILogger logger, string? taskName);

    [LoggerMessage(51, LogLevel.Warning, "Refused an sqsd periodic-task request from {RemoteAddress}: {Reason}")]
    private static partial void LogGateRefused(ILogger logger, string? remoteAddress, string reason);
}
