using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Hangfire.ElasticSqs.Worker.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.Worker.Scheduling;

/// <summary>
/// At worker start-up (shortly after the application started, so recurring jobs registered in <c>Program.cs</c> after
/// <c>Build()</c> are seen), compares the deployed <c>cron.yaml</c> with what the registered recurring jobs generate
/// and logs every difference loudly: a job missing from cron.yaml never runs on Elastic Beanstalk. Runs only when
/// processing is enabled and <see cref="ElasticSqsWorkerOptions.RecurringJobScheduler"/> is
/// <see cref="RecurringJobSchedulerMode.CronYaml"/>. A failure of the check is logged, never fatal.
/// </summary>
internal sealed partial class CronYamlDriftCheck : IHostedService, IDisposable
{
    private readonly IServiceProvider _services;
    private readonly ElasticSqsWorkerOptions _options;
    private readonly SchedulingTimings _timings;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private CancellationTokenRegistration _started;
    private Task _run = Task.CompletedTask;

    public CronYamlDriftCheck(IServiceProvider services, IOptions<ElasticSqsWorkerOptions> options, ILogger<CronYamlDriftCheck> logger)
    {
        _services = services;
        _options = options.Value;
        _timings = services.GetService<SchedulingTimings>() ?? new SchedulingTimings();
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.IsEnabled)
        {
            return Task.CompletedTask;
        }

        if (_options.RecurringJobScheduler == RecurringJobSchedulerMode.Hangfire)
        {
            LogHangfireMode(_logger, _options.PeriodicTaskPath);
            return Task.CompletedTask;
        }

        if (string.IsNullOrWhiteSpace(_options.CronYamlPath))
        {
            LogCheckDisabled(_logger);
            return Task.CompletedTask;
        }

        var lifetime = _services.GetService<IHostApplicationLifetime>();
        if (lifetime is null)
        {
            _run = RunAsync();
        }
        else
        {
            _started = lifetime.ApplicationStarted.Register(() => _run = RunAsync());
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _started.DisposeAsync().ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping before the check ran is fine.
        }
    }

    public void Dispose()
    {
        _started.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Runs the check now and logs its findings.</summary>
    /// <returns>The differences found (generation problems and a missing file included).</returns>
    internal async Task<IReadOnlyList<CronYamlDifference>> CheckAsync(CancellationToken cancellationToken)
    {
        var baseDirectory = _services.GetService<IHostEnvironment>()?.ContentRootPath ?? AppContext.BaseDirectory;
        var path = CronYamlCheck.Resolve(_options.CronYamlPath!, baseDirectory);
        var storage = _services.GetRequiredService<JobStorage>();
        var recurringJobs = CronYamlCheck.RecurringJobs(storage);

        CronYamlFile expected;
        var problems = new List<CronYamlDifference>();
        try
        {
            expected = CronYamlGenerator.Generate(recurringJobs, _options.PeriodicTaskPath, _services.GetService<ITimeZoneResolver>());
        }
        catch (CronYamlGenerationException exception)
        {
            foreach (var problem in exception.Problems)
            {
                LogCannotSchedule(_logger, problem);
                problems.Add(new CronYamlDifference(true, problem));
            }

            // Check the jobs that can be expressed, so that their drift is reported too.
            var accepted = recurringJobs.Where(job => CanGenerate(job)).ToList();
            expected = CanGenerate(accepted) ? CronYamlGenerator.Generate(accepted, _options.PeriodicTaskPath, _services.GetService<ITimeZoneResolver>()) : new CronYamlFile([]);
        }

        if (expected.Tasks.Count > 0 && !IsPeriodicTaskPathMapped())
        {
            LogPathNotMapped(_logger, _options.PeriodicTaskPath);
            problems.Add(new CronYamlDifference(true, $"No sqsd endpoint is mapped at the periodic-task path '{_options.PeriodicTaskPath}'."));
        }

        CronYamlFile? deployed;
        try
        {
            deployed = await CronYamlCheck.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException exception)
        {
            LogInvalidFile(_logger, path, exception.Message, expected.Tasks.Count);
            problems.Add(new CronYamlDifference(true, exception.Message));
            return problems;
        }

        if (deployed is null && expected.Tasks.Count > 0)
        {
            var scheduled = recurringJobs.Select(job => job.Id).Where(id => expected.Tasks.Any(task => task.Name == CronYamlTaskNames.ToTaskName(id)));
            LogMissingFile(_logger, path, expected.Tasks.Count, string.Join(", ", scheduled));
        }

        var differences = CronYamlCheck.Compare(deployed, expected, recurringJobs.Select(job => job.Id), _options.PeriodicTaskPath, path);
        foreach (var difference in differences)
        {
            if (difference.IsError)
            {
                LogDriftError(_logger, difference.Message);
            }
            else
            {
                LogDriftWarning(_logger, difference.Message);
            }
        }

        if (differences.Count == 0 && problems.Count == 0)
        {
            if (deployed is null)
            {
                LogNoFileNoJobs(_logger, path);
            }
            else
            {
                LogMatches(_logger, path, expected.Tasks.Count);
            }
        }

        problems.AddRange(differences);
        return problems;
    }

    /// <summary>
    /// Whether an sqsd endpoint (from <c>MapElasticSqsWorker</c>) answers the periodic-task path; true when the
    /// application's endpoints cannot be inspected.
    /// </summary>
    private bool IsPeriodicTaskPathMapped()
    {
        if (_services.GetService<EndpointDataSource>() is not { } endpoints)
        {
            return true;
        }

        var sqsdEndpoints = endpoints.Endpoints.OfType<RouteEndpoint>().Where(e => e.Metadata.GetMetadata<SqsdEndpointMetadata>() is not null).ToList();
        return sqsdEndpoints.Count == 0 // endpoints not mapped yet, or mapped in a way this check cannot see
            || sqsdEndpoints.Any(e => string.Equals(e.RoutePattern.RawText?.Trim('/'), _options.PeriodicTaskPath.Trim('/'), StringComparison.OrdinalIgnoreCase));
    }

    private bool CanGenerate(Hangfire.Storage.RecurringJobDto job) => CanGenerate([job]);

    private bool CanGenerate(IReadOnlyList<Hangfire.Storage.RecurringJobDto> jobs)
    {
        try
        {
            CronYamlGenerator.Generate(jobs, _options.PeriodicTaskPath, _services.GetService<ITimeZoneResolver>());
            return true;
        }
        catch (CronYamlGenerationException)
        {
            return false;
        }
    }

    private async Task RunAsync()
    {
        try
        {
            await Task.Delay(_timings.DriftCheckDelay, _stopping.Token).ConfigureAwait(false);
            await CheckAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The application stopped first.
        }
        catch (Exception exception)
        {
            LogCheckFailed(_logger, exception);
        }
    }

    [LoggerMessage(40, LogLevel.Error, "cron.yaml drift: {Difference}")]
    private static partial void LogDriftError(ILogger logger, string difference);

    [LoggerMessage(41, LogLevel.Warning, "cron.yaml drift: {Difference}")]
    private static partial void LogDriftWarning(ILogger logger, string difference);

    [LoggerMessage(42, LogLevel.Error, "No cron.yaml at {Path}, but {TaskCount} recurring job(s) have a schedule ({RecurringJobIds}): none of them will ever run on Elastic Beanstalk. Generate it with 'dotnet run -- elasticsqs cron-yaml' and deploy it at the root of the source bundle, or set ElasticSqsWorkerOptions.CronYamlPath")]
    private static partial void LogMissingFile(ILogger logger, string path, int taskCount, string recurringJobIds);

    [LoggerMessage(43, LogLevel.Error, "The cron.yaml at {Path} cannot be read ({Reason}); sqsd will not load it either, so the {TaskCount} scheduled recurring job(s) will never run on Elastic Beanstalk")]
    private static partial void LogInvalidFile(ILogger logger, string path, string reason, int taskCount);

    [LoggerMessage(44, LogLevel.Error, "Recurring job cannot be scheduled by cron.yaml, so it will never run on Elastic Beanstalk: {Problem}")]
    private static partial void LogCannotSchedule(ILogger logger, string problem);

    [LoggerMessage(45, LogLevel.Information, "cron.yaml at {Path} matches the {TaskCount} scheduled recurring job(s)")]
    private static partial void LogMatches(ILogger logger, string path, int taskCount);

    [LoggerMessage(49, LogLevel.Information, "No cron.yaml at {Path} and no recurring job with a schedule: nothing for sqsd to trigger")]
    private static partial void LogNoFileNoJobs(ILogger logger, string path);

    [LoggerMessage(51, LogLevel.Error, "ElasticSqsWorkerOptions.PeriodicTaskPath is {Path}, but no sqsd endpoint is mapped there: cron.yaml tasks sent to it never reach the worker. Pass the same path to MapElasticSqsWorker(periodicTaskPattern: ...) or change the option")]
    private static partial void LogPathNotMapped(ILogger logger, string path);

    [LoggerMessage(46, LogLevel.Error, "The cron.yaml drift check failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(47, LogLevel.Information, "Recurring jobs are scheduled by Hangfire's RecurringJobScheduler in this worker (RecurringJobScheduler = Hangfire; needs a shared durable inner storage); cron.yaml periodic tasks to {PeriodicTaskPath} are refused with 404 and cron.yaml is not checked")]
    private static partial void LogHangfireMode(ILogger logger, string periodicTaskPath);

    [LoggerMessage(48, LogLevel.Warning, "ElasticSqsWorkerOptions.CronYamlPath is empty: the deployed cron.yaml is not compared with the registered recurring jobs")]
    private static partial void LogCheckDisabled(ILogger logger);
}
