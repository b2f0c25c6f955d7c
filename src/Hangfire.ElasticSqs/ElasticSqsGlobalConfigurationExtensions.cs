using Amazon.SQS;
using Hangfire.ElasticSqs;
using Hangfire.ElasticSqs.Dashboard;
using Hangfire.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hangfire;

/// <summary>Configures Hangfire to move jobs through Amazon SQS.</summary>
public static class ElasticSqsGlobalConfigurationExtensions
{
    /// <summary>
    /// Makes <see cref="ElasticSqsStorage"/> the job storage (<see cref="JobStorage.Current"/>): existing
    /// <c>BackgroundJob.Enqueue</c>, <c>Schedule</c>, <c>ContinueJobWith</c> and <c>RecurringJob</c> calls go through SQS.
    /// </summary>
    /// <param name="configuration">Hangfire's configuration.</param>
    /// <param name="options">Queues and signing keys; validated, every problem reported together.</param>
    /// <param name="innerStorage">Holds job data and history (the Dashboard reads it). A new Hangfire.InMemory storage when null.</param>
    /// <param name="sqs">The SQS client; when null, one built from the AWS SDK's default chain (<c>AWS_REGION</c>, <c>AWS_ENDPOINT_URL_SQS</c>, profiles, roles).</param>
    /// <param name="loggerFactory">Where logs go.</param>
    /// <returns>The configuration, for chaining.</returns>
    public static IGlobalConfiguration<ElasticSqsStorage> UseElasticSqsStorage(
        this IGlobalConfiguration configuration,
        ElasticSqsStorageOptions options,
        JobStorage? innerStorage = null,
        IAmazonSQS? sqs = null,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        var storage = new ElasticSqsStorage(innerStorage ?? new InMemoryStorage(), options, sqs ?? new AmazonSQSClient(), loggerFactory);
        return Use(configuration, storage);
    }

    /// <summary>
    /// The dependency-injection form, for <c>services.AddHangfire((provider, c) =&gt; c.UseElasticSqsStorage(provider))</c>:
    /// options from <see cref="IOptions{TOptions}"/> (register them with <c>services.AddElasticSqsStorage()</c>, which binds
    /// <c>Hangfire:ElasticSqs</c> and validates at start-up),
    /// and the <see cref="IAmazonSQS"/>, <see cref="ILoggerFactory"/> and <see cref="TimeProvider"/> registered in the container when present.
    /// </summary>
    /// <param name="configuration">Hangfire's configuration.</param>
    /// <param name="services">The application's service provider.</param>
    /// <param name="innerStorage">Holds job data and history. A new Hangfire.InMemory storage when null.</param>
    /// <returns>The configuration, for chaining.</returns>
    public static IGlobalConfiguration<ElasticSqsStorage> UseElasticSqsStorage(
        this IGlobalConfiguration configuration,
        IServiceProvider services,
        JobStorage? innerStorage = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(services);
        var options = services.GetRequiredService<IOptions<ElasticSqsStorageOptions>>().Value;
        var storage = new ElasticSqsStorage(
            innerStorage ?? new InMemoryStorage(),
            options,
            services.GetService<IAmazonSQS>() ?? new AmazonSQSClient(),
            services.GetService<ILoggerFactory>(),
            services.GetService<TimeProvider>());
        return Use(configuration, storage);
    }

    /// <summary>
    /// Makes a storage built with its constructor the job storage, with the Dashboard's SQS page, as the other
    /// overloads do: for code that holds the storage itself (a Lambda function, a console tool).
    /// </summary>
    /// <param name="configuration">Hangfire's configuration.</param>
    /// <param name="storage">The storage.</param>
    /// <returns>The configuration, for chaining.</returns>
    public static IGlobalConfiguration<ElasticSqsStorage> UseElasticSqsStorage(this IGlobalConfiguration configuration, ElasticSqsStorage storage)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(storage);
        return Use(configuration, storage);
    }

    /// <summary>
    /// The process-wide effects belong here, in the call that opts in to them, not in the storage constructor:
    /// Hangfire's own storage and the Dashboard's page registry are global, as Hangfire's other storages use them.
    /// </summary>
    private static IGlobalConfiguration<ElasticSqsStorage> Use(IGlobalConfiguration configuration, ElasticSqsStorage storage)
    {
        ElasticSqsDashboard.Register();
        storage.DrainOnProcessExit();
        return configuration.UseStorage(storage);
    }
}
