using Hangfire.ElasticSqs;
using Hangfire.ElasticSqs.Hosts;
using Hangfire.ElasticSqs.Pipeline;
using Hangfire.ElasticSqs.Worker;
using Hangfire.ElasticSqs.Worker.Delivery;
using Hangfire.ElasticSqs.Worker.Hosting;
using Hangfire.ElasticSqs.Worker.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Hangfire;

/// <summary>Adds the Elastic Beanstalk worker endpoint that runs Hangfire jobs delivered by sqsd.</summary>
public static class ElasticSqsWorkerExtensions
{
    /// <summary>The configuration section the worker options bind from.</summary>
    internal const string ConfigurationSection = "Hangfire:ElasticSqs:Worker";

    /// <summary>
    /// Registers the worker: options (bound from <c>Hangfire:ElasticSqs:Worker</c>, then <paramref name="configure"/>, validated at start-up),
    /// the endpoint's services, and the lightweight Hangfire server that runs delivered jobs. Processing stays off until
    /// <see cref="ElasticSqsWorkerOptions.Enabled"/> or the environment variable <c>HANGFIRE_ELASTICSQS_WORKER=true</c> turns it on.
    /// Requires <c>AddHangfire(c =&gt; c.UseElasticSqsStorage(...))</c>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Changes to the options after binding.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddHangfireElasticSqsWorker(this IServiceCollection services, Action<ElasticSqsWorkerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ElasticSqsWorkerOptions>().BindConfiguration(ConfigurationSection);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ElasticSqsWorkerOptions>, ElasticSqsWorkerOptionsValidator>());

        services.TryAddSingleton(provider => provider.GetRequiredService<JobStorage>() as ElasticSqsStorage
            ?? throw new ElasticSqsConfigurationException("The Hangfire.ElasticSqs worker needs ElasticSqsStorage: configure AddHangfire(c => c.UseElasticSqsStorage(...))."));
        services.TryAddSingleton(provider =>
        {
            var o = provider.GetRequiredService<IOptions<ElasticSqsWorkerOptions>>().Value;
            return new SqsdRequestGate(new SqsdGateOptions
            {
                ExtraUserAgentPrefixes = o.ExtraUserAgentPrefixes,
                TrustDockerGateway = o.TrustDockerGateway,
                TrustedGatewayAddresses = o.TrustedGatewayAddresses.Select(System.Net.IPAddress.Parse).ToList(),
            });
        });
        services.TryAddSingleton(provider => new Lazy<PushHost>(() =>
        {
            var o = provider.GetRequiredService<IOptions<ElasticSqsWorkerOptions>>().Value;
            return PushHost.Attach(
                provider.GetRequiredService<ElasticSqsStorage>(),
                "The Elastic Beanstalk worker endpoint (AddHangfireElasticSqsWorker)",
                runsRecurringJobScheduler: o.RecurringJobScheduler == Hangfire.ElasticSqs.Worker.Scheduling.RecurringJobSchedulerMode.Hangfire,
                new DeliverySettings(o.DueTolerance, o.ServerTimeout) { LeaseAfter = o.LeaseAfter },
                o.HandOffTimeout);
        }));
        services.TryAddSingleton<PeriodicTaskHandler>();
        services.TryAddSingleton(new UnverifiedBodyBudget());
        services.TryAddSingleton<SqsdEndpointHandler>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, SqsdEndpointMatcherPolicy>());
        services.AddHostedService<ElasticSqsWorkerHost>();
        Hangfire.ElasticSqs.Worker.Scheduling.SchedulingServiceCollectionExtensions.AddElasticSqsRecurringJobScheduling(services);
        return services;
    }

    /// <summary>
    /// Maps the endpoint sqsd posts to (<c>HttpPath</c>, <c>/</c> by default) and the path of cron.yaml periodic
    /// tasks. Requests that are not from sqsd, or arrive while processing is off, pass to the rest of the application.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="pattern">The path sqsd posts job messages to (the worker environment's <c>HttpPath</c>).</param>
    /// <param name="periodicTaskPattern">The <c>url</c> of the cron.yaml entries this library generates.</param>
    /// <returns>A builder for both endpoints' conventions.</returns>
    public static IEndpointConventionBuilder MapElasticSqsWorker(this IEndpointRouteBuilder endpoints, string pattern = "/", string periodicTaskPattern = "/periodic-tasks")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var handler = endpoints.ServiceProvider.GetRequiredService<SqsdEndpointHandler>();
        // Each path serves its own kind of request only, unless the application gave both the same pattern.
        var shared = string.Equals(pattern, periodicTaskPattern, StringComparison.Ordinal);
        var builders = new List<IEndpointConventionBuilder>
        {
            endpoints.MapPost(pattern, shared ? (RequestDelegate)handler.HandleAsync : handler.HandleJobMessageAsync).WithMetadata(SqsdEndpointMetadata.Instance).WithDisplayName("Hangfire.ElasticSqs sqsd endpoint"),
        };
        if (!shared)
        {
            builders.Add(endpoints.MapPost(periodicTaskPattern, (RequestDelegate)handler.HandlePeriodicTaskAsync).WithMetadata(SqsdEndpointMetadata.Instance).WithDisplayName("Hangfire.ElasticSqs periodic tasks"));
        }

        return new CompositeConventionBuilder(builders);
    }

    private sealed class CompositeConventionBuilder(IReadOnlyList<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
    {
        public void Add(Action<EndpointBuilder> convention)
        {
            foreach (var builder in builders)
            {
                builder.Add(convention);
            }
        }
    }
}
