using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hangfire.ElasticSqs.Worker.Scheduling;

/// <summary>Registers the recurring-job services of the worker (called by <c>AddHangfireElasticSqsWorker</c>).</summary>
internal static class SchedulingServiceCollectionExtensions
{
    public static IServiceCollection AddElasticSqsRecurringJobScheduling(this IServiceCollection services)
    {
        services.TryAddSingleton<SchedulingTimings>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Hangfire.ElasticSqs.Commands.IElasticSqsCommand, CronYamlCommand>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, PeriodicTaskRefusalPolicy>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, CronYamlDriftCheck>());
        return services;
    }
}
