using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Worker.Scheduling;
using Hangfire.ElasticSqs.Worker.Tests.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Hangfire.ElasticSqs.Worker.Tests.Scheduling;

/// <summary>
/// At start-up the worker compares the cron.yaml in its content root with the recurring jobs registered in
/// <c>Program.cs</c> (after <c>Build()</c>, before start) and logs every difference loudly.
/// </summary>
public class CronYamlDriftCheckTests
{
    private MotoServer _moto = null!;

    [OneTimeSetUp]
    public async Task Start() => _moto = await MotoServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _moto.DisposeAsync();

    private static void RegisterJobs(IRecurringJobManager jobs)
    {
        jobs.AddOrUpdate<CountingJobs>("nightly-report", j => j.Count("nightly"), "30 2 * * *");
        jobs.AddOrUpdate<CountingJobs>("cleanup", j => j.Count("cleanup"), "0 4 * * *");
        jobs.AddOrUpdate<CountingJobs>("sync", j => j.Count("sync"), "*/10 * * * *");
    }

    private static async Task<IReadOnlyList<FakeLogRecord>> DriftLogAsync(SchedulingTestHost host, Func<IReadOnlyList<FakeLogRecord>, bool> done)
        => await Eventually.Until(() => host.LogsFrom<CronYamlDriftCheck>(), done, "the start-up cron.yaml check to log");

    [Test]
    public async Task Every_difference_is_logged_loudly_naming_the_recurring_job()
    {
        const string deployed = """
            version: 1
            cron:
              - name: "nightly-report"
                url: "/periodic-tasks"
                schedule: "0 2 * * *"
              - name: "sync"
                url: "/periodic-tasks"
                schedule: "*/10 * * * *"
              - name: "old-job"
                url: "/periodic-tasks"
                schedule: "0 5 * * *"
              - name: "app-own-task"
                url: "/my-own-endpoint"
                schedule: "0 6 * * *"
            """;
        await using var host = await SchedulingTestHost.CreateAsync(_moto, registerJobs: RegisterJobs, cronYaml: deployed);

        var log = await DriftLogAsync(host, entries => entries.Count >= 3);

        log.Should().HaveCount(3, string.Join('\n', log));
        log.Should().ContainSingle(e => e.Level == LogLevel.Error && e.Message.Contains("Recurring job 'cleanup' is missing from cron.yaml: it will never run on Elastic Beanstalk", StringComparison.Ordinal));
        log.Should().ContainSingle(e => e.Level == LogLevel.Error
            && e.Message.Contains("Recurring job 'nightly-report' needs schedule \"30 2 * * *\" (UTC)", StringComparison.Ordinal)
            && e.Message.Contains("has \"0 2 * * *\"", StringComparison.Ordinal));
        log.Should().ContainSingle(e => e.Level == LogLevel.Warning && e.Message.Contains("cron.yaml task 'old-job'", StringComparison.Ordinal) && e.Message.Contains("matches no registered recurring job", StringComparison.Ordinal));
        log.Should().NotContain(e => e.Message.Contains("sync", StringComparison.Ordinal), "its task matches");
        log.Should().NotContain(e => e.Message.Contains("app-own-task", StringComparison.Ordinal), "a task sent to another url belongs to the application");
    }

    [Test]
    public async Task A_missing_cron_yaml_while_recurring_jobs_have_schedules_is_an_error_for_each_job()
    {
        await using var host = await SchedulingTestHost.CreateAsync(_moto, registerJobs: RegisterJobs);

        var log = await DriftLogAsync(host, entries => entries.Count >= 4);

        log.Should().OnlyContain(e => e.Level == LogLevel.Error);
        log.Should().ContainSingle(e => e.Message.StartsWith($"No cron.yaml at {host.CronYamlFullPath}, but 3 recurring job(s) have a schedule (", StringComparison.Ordinal)
            && e.Message.Contains("none of them will ever run on Elastic Beanstalk", StringComparison.Ordinal));
        foreach (var id in new[] { "cleanup", "nightly-report", "sync" })
        {
            log.Should().ContainSingle(e => e.Message.Contains($"Recurring job '{id}' is missing from cron.yaml: it will never run on Elastic Beanstalk", StringComparison.Ordinal));
        }
    }

    [Test]
    public async Task A_matching_cron_yaml_logs_one_information_line()
    {
        string yaml;
        await using (var generator = await SchedulingTestHost.CreateAsync(_moto, registerJobs: RegisterJobs, start: false))
        {
            yaml = ElasticSqsCronYaml.GenerateYaml(generator.Storage);
        }

        await using var host = await SchedulingTestHost.CreateAsync(_moto, registerJobs: RegisterJobs, cronYaml: yaml);

        var log = await DriftLogAsync(host, entries => entries.Count >= 1);

        log.Should().ContainSingle().Which.Should().Match<FakeLogRecord>(e => e.Level == LogLevel.Information && e.Message == $"cron.yaml at {host.CronYamlFullPath} matches the 3 scheduled recurring job(s)");
    }

    [Test]
    public async Task No_cron_yaml_and_no_scheduled_job_is_not_drift()
    {
        await using var host = await SchedulingTestHost.CreateAsync(_moto, registerJobs: jobs => jobs.AddOrUpdate<CountingJobs>("manual-only", j => j.Count("manual"), Cron.Never()));

        var log = await DriftLogAsync(host, entries => entries.Count >= 1);

        log.Should().ContainSingle().Which.Should().Match<FakeLogRecord>(e => e.Level == LogLevel.Information && e.Message.StartsWith("No cron.yaml at", StringComparison.Ordinal) && e.Message.EndsWith("no recurring job with a schedule: nothing for sqsd to trigger", StringComparison.Ordinal));
    }

    [Test]
    public async Task A_schedule_sqsd_cannot_run_is_an_error_and_the_other_jobs_are_still_checked()
    {
        await using var host = await SchedulingTestHost.CreateAsync(
            _moto,
            registerJobs: jobs =>
            {
                RegisterJobs(jobs);
                jobs.AddOrUpdate<CountingJobs>("every-30-seconds", j => j.Count("s"), "*/30 * * * * *");
            },
            cronYaml: """
                version: 1
                cron:
                  - name: "nightly-report"
                    url: "/periodic-tasks"
                    schedule: "30 2 * * *"
                  - name: "sync"
                    url: "/periodic-tasks"
                    schedule: "*/10 * * * *"
                """);

        var log = await DriftLogAsync(host, entries => entries.Count >= 2);

        log.Should().HaveCount(2, string.Join('\n', log));
        log.Should().ContainSingle(e => e.Level == LogLevel.Error && e.Message.StartsWith("Recurring job cannot be scheduled by cron.yaml, so it will never run on Elastic Beanstalk", StringComparison.Ordinal)
            && e.Message.Contains("every-30-seconds", StringComparison.Ordinal) && e.Message.Contains("*/30 * * * * *", StringComparison.Ordinal));
        log.Should().ContainSingle(e => e.Level == LogLevel.Error && e.Message.Contains("Recurring job 'cleanup' is missing from cron.yaml", StringComparison.Ordinal));
    }

    [Test]
    public async Task The_check_reads_the_configured_path_and_a_url_other_than_the_periodic_task_path_is_drift()
    {
        await using var host = await SchedulingTestHost.CreateAsync(
            _moto,
            worker: o => o.CronYamlPath = "deploy/cron.yaml",
            registerJobs: jobs => jobs.AddOrUpdate<CountingJobs>("sync", j => j.Count("sync"), "*/10 * * * *"));
        Directory.CreateDirectory(Path.Combine(host.ContentRoot, "deploy"));
        await File.WriteAllTextAsync(Path.Combine(host.ContentRoot, "deploy", "cron.yaml"), "version: 1\ncron:\n  - name: sync\n    url: /tasks\n    schedule: '*/10 * * * *'\n");

        // The file appears after start-up here, so run the check again the way the hosted service does.
        var check = host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<CronYamlDriftCheck>().Single();
        var differences = await check.CheckAsync(CancellationToken.None);

        differences.Should().ContainSingle().Which.Message.Should().Contain("Recurring job 'sync' is missing from cron.yaml at its url: task 'sync'")
            .And.Contain("is sent to \"/tasks\", but the worker's periodic-task path is \"/periodic-tasks\"");
    }

    [Test]
    public async Task A_periodic_task_path_no_sqsd_endpoint_answers_is_an_error()
    {
        await using var host = await SchedulingTestHost.CreateAsync(
            _moto,
            worker: o => o.PeriodicTaskPath = "/cron-tasks",
            registerJobs: jobs => jobs.AddOrUpdate<CountingJobs>("sync", j => j.Count("sync"), "*/10 * * * *"),
            cronYaml: "version: 1\ncron:\n  - name: sync\n    url: /cron-tasks\n    schedule: '*/10 * * * *'\n");

        var log = await DriftLogAsync(host, entries => entries.Count >= 1);

        log.Should().ContainSingle().Which.Should().Match<FakeLogRecord>(e => e.Level == LogLevel.Error
            && e.Message.StartsWith("ElasticSqsWorkerOptions.PeriodicTaskPath is /cron-tasks, but no sqsd endpoint is mapped there", StringComparison.Ordinal));
    }

    [Test]
    public async Task Nothing_is_checked_when_processing_is_off_or_in_Hangfire_scheduler_mode()
    {
        await using var off = await SchedulingTestHost.CreateAsync(_moto, worker: o => o.Enabled = false, registerJobs: RegisterJobs);
        await using var hangfire = await SchedulingTestHost.CreateAsync(_moto, worker: o => o.RecurringJobScheduler = RecurringJobSchedulerMode.Hangfire, registerJobs: RegisterJobs);

        var log = await DriftLogAsync(hangfire, entries => entries.Count >= 1);
        log.Should().ContainSingle().Which.Level.Should().Be(LogLevel.Information);
        log[0].Message.Should().Contain("scheduled by Hangfire's RecurringJobScheduler").And.Contain("cron.yaml is not checked");

        // The check runs right after start-up: both hosts are started, so its absence is final.
        off.LogsFrom<CronYamlDriftCheck>().Should().BeEmpty();
    }
}
