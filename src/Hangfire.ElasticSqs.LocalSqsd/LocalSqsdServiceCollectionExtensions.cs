using Amazon.SQS;
using Hangfire.ElasticSqs.LocalSqsd;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hangfire;

/// <summary>Registers the <see cref="LocalSqsd"/> as a hosted service, typically only in development.</summary>
public static class LocalSqsdServiceCollectionExtensions
{
    /// <summary>
    /// Runs a <see cref="LocalSqsd"/> in this process, with options bound from <paramref name="configuration"/>
    /// (keys named like the <c>aws:elasticbeanstalk:sqsd</c> options, e.g. <c>WorkerQueueURL</c>,
    /// <c>HttpConnections</c>, plus <c>BaseAddress</c> and <c>CronYamlPath</c>) and validated at start-up.
    /// The SQS client is the registered <see cref="IAmazonSQS"/>, or else a new <see cref="AmazonSQSClient"/>
    /// configured by the SDK's usual chain (region, credentials, <c>AWS_ENDPOINT_URL_SQS</c>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the <see cref="LocalSqsdOptions"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddLocalSqsd(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddLocalSqsdCore(options => options.Bind(configuration));
    }

    /// <summary>
    /// Runs a <see cref="LocalSqsd"/> in this process with options set by <paramref name="configure"/>,
    /// validated at start-up. The SQS client is chosen as in the other overload.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the <see cref="LocalSqsdOptions"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddLocalSqsd(this IServiceCollection services, Action<LocalSqsdOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddLocalSqsdCore(options => options.Configure(configure));
    }

    private static IServiceCollection AddLocalSqsdCore(this IServiceCollection services, Action<OptionsBuilder<LocalSqsdOptions>> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        configure(services.AddOptions<LocalSqsdOptions>().ValidateOnStart());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LocalSqsdOptions>, LocalSqsdOptionsValidation>());
        if (services.Any(service => service.ServiceType == typeof(LocalSqsd)))
        {
            return services; // a second call only adds configuration
        }

        services.AddSingleton(provider =>
        {
            var registered = provider.GetService<IAmazonSQS>();
            return new LocalSqsd(
                provider.GetRequiredService<IOptions<LocalSqsdOptions>>().Value,
                registered ?? new AmazonSQSClient(),
                ownsSqs: registered is null,
                httpClient: null,
                provider.GetService<ILogger<LocalSqsd>>(),
                provider.GetService<TimeProvider>());
        });
        services.AddHostedService(provider => provider.GetRequiredService<LocalSqsd>());
        return services;
    }
}
