using Hangfire.Client;
using Hangfire.Common;
using Hangfire.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Hangfire.ElasticSqs.Worker.Scheduling;

/// <summary>
/// The additional background processes of the worker's Hangfire server: Hangfire's <see cref="RecurringJobScheduler"/>
/// in <see cref="RecurringJobSchedulerMode.Hangfire"/> mode, nothing in <see cref="RecurringJobSchedulerMode.CronYaml"/>
/// mode (sqsd triggers recurring jobs from cron.yaml).
/// </summary>
internal static class RecurringJobSchedulerProcesses
{
    public static IEnumerable<IBackgroundProcess> For(IServiceProvider services, ElasticSqsWorkerOptions options, BackgroundJobServerOptions serverOptions)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(serverOptions);
        if (options.RecurringJobScheduler != RecurringJobSchedulerMode.Hangfire)
        {
            return [];
        }

        var factory = services.GetService<IBackgroundJobFactory>()
            ?? new BackgroundJobFactory(services.GetService<IJobFilterProvider>() ?? JobFilterProviders.Providers);
        var timings = services.GetService<SchedulingTimings>() ?? new SchedulingTimings();
        var timeZoneResolver = serverOptions.TimeZoneResolver ?? services.GetService<ITimeZoneResolver>() ?? new DefaultTimeZoneResolver();
        return [new RecurringJobScheduler(factory, timings.RecurringJobPollingDelay ?? serverOptions.SchedulePollingInterval, timeZoneResolver)];
    }
}
