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
/// so requests the worker does not handle at all still pass to the application.
/// </summary>
internal sealed partial class PeriodicTaskRefusalPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    private readonly IOptions<ElasticSqsWorkerOptions> _options;
    private readonly ILogger _logger;
    private readonly Endpoint _refusal;

    public PeriodicTaskRefusalPolicy(IOptions<ElasticSqsWorkerOptions> options, ILogger<PeriodicTaskRefusalPolicy> logger)
    {
        _options = options;
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
        var taskName = context.Request.Headers[SqsdHeaderNames.TaskName].ToString();
        LogRefused(_logger, taskName);
        return WorkerResponses.NotFound(context.Response, $"Periodic task '{taskName}' refused: recurring jobs are scheduled by Hangfire's own scheduler in this worker (RecurringJobScheduler = Hangfire); remove the task from cron.yaml.");
    }

    [LoggerMessage(50, LogLevel.Warning, "Periodic task {TaskName} refused with 404: RecurringJobScheduler is Hangfire, so Hangfire's own scheduler triggers recurring jobs and cron.yaml tasks must not (remove the task from cron.yaml)")]
    private static partial void LogRefused(ILogger logger, string taskName);
}
