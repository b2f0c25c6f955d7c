using Hangfire.ElasticSqs;
using Hangfire.ElasticSqs.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Hangfire;

/// <summary>Registers the options of <see cref="ElasticSqsStorage"/> in dependency injection.</summary>
public static class ElasticSqsServiceCollectionExtensions
{
    /// <summary>The configuration section the storage options bind from.</summary>
    internal const string ConfigurationSection = "Hangfire:ElasticSqs";

    /// <summary>
    /// Binds <see cref="ElasticSqsStorageOptions"/> from the configuration section <c>Hangfire:ElasticSqs</c>, then
    /// applies <paramref name="configure"/>, and validates them when the host starts, every problem reported together.
    /// Pair it with <c>services.AddHangfire((provider, c) =&gt; c.UseElasticSqsStorage(provider))</c>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Changes to the options after binding.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddElasticSqsStorage(this IServiceCollection services, Action<ElasticSqsStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ElasticSqsStorageOptions>().BindConfiguration(ConfigurationSection);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ElasticSqsStorageOptions>, ElasticSqsOptionsValidator>());
        return services;
    }
}
