using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Worker.Scheduling;
using Hangfire.ElasticSqs.Worker.Tests.Delivery;

namespace Hangfire.ElasticSqs.Worker.Tests.Scheduling;

/// <summary>
/// <c>elasticsqs cron-yaml</c> run by the application itself, on the built (not started) host, after its recurring
/// jobs are registered: the exact file, <c>--check</c> for CI, refused schedules, usage errors.
/// </summary>
public class CronYamlCommandTests
{
    private const string ExpectedYaml = """
        version: 1
        cron:
          - name: "every-15-minutes"
            url: "/periodic-tasks"
            schedule: "*/15 * * * *"
          - name: "nightly-report"
            url: "/periodic-tasks"
            schedule: "30 2 * * *"
          - name: "tokyo-morning"
            url: "/periodic-tasks"
            schedule: "0 23 * * 0-4"

        """;

    private MotoServer _moto = null!;

    [OneTimeSetUp]
    public async Task Start() => _moto = await MotoServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _moto.DisposeAsync();

    private static void RegisterJobs(IRecurringJobManager jobs)
    {
        jobs.AddOrUpdate<CountingJobs>("nightly-report", j => j.Count("nightly"), "30 2 * * *");
        jobs.AddOrUpdate<CountingJobs>("every-15-minutes", j => j.Count("15"), "*/15 * * * *");

        // A fixed-offset zone converts exactly: 08:00 Monday to Friday at UTC+09:00 is 23:00 Sunday to Thursday UTC.
        jobs.AddOrUpdate<CountingJobs>("tokyo-morning", j => j.Count("tokyo"), "0 8 * * 1-5", new RecurringJobOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Etc/GMT-9") });

        // Only triggered by hand: no task.
        jobs.AddOrUpdate<CountingJobs>("manual-only", j => j.Count("manual"), Cron.Never());
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(SchedulingTestHost host, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await ElasticSqsCommands.RunAsync(host.Services, args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Test]
    public async Task The_command_writes_the_exact_cron_yaml_of_the_registered_recurring_jobs()
    {
        await using var host = await SchedulingTestHost.CreateAsync(_moto, registerJobs: RegisterJobs, start: false);
        var (exitCode, output, error) = await RunAsync(host, "elasticsqs", "cron-yaml", "--output", host.CronYamlFullPath);

        exitCode.Should().Be(ElasticSqsCommands.Success, error);
        (await File.ReadAllTextAsync(host.CronYamlFullPath)).Should().Be(ExpectedYaml);
        output.Should().Contain("3 periodic task(s) from 4 recurring job(s)");
        ElasticSqsCronYaml.GenerateYaml(host.Storage).Should().Be(ExpectedYaml, "the programmatic API gives the same text");
    }

    [Test]
    public async Task The_command_can_write_to_standard_output_with_another_periodic_task_path()
    {
        await using var host = await SchedulingTestHost.CreateAsync(_moto, registerJobs: RegisterJobs, start: false);

        var (exitCode, output, _) = await RunAsync(host, "elasticsqs", "cron-yaml", "--output", "-", "--path", "/cron");

        exitCode.Should().Be(0);
        output.Should().Be(ExpectedYaml.Replace("/periodic-tasks", "/cron", StringComparison.Ordinal));
        File.Exists(host.CronYamlFullPath).Should().BeFalse();
    }

    [Test]
    public async Task Check_passes_on_the_generated_file_and_fails_listing_every_drifted_job()
    {
        await using var host = await SchedulingTestHost.CreateAsync(_moto, registerJobs: RegisterJobs, start: false);
        (await RunAsync(host, "elasticsqs", "cron-yaml", "--output", host.CronYamlFullPath)).ExitCode.Should().Be(0);

        var clean = await RunAsync(host, "elasticsqs", "cron-yaml", "--output", host.CronYamlFullPath, "--check");
        clean.ExitCode.Should().Be(0, clean.Error);
        clean.Output.Should().Contain("matches the 3 scheduled recurring job(s)");

        // The application changes after cron.yaml was generated: a new job, a new schedule, a removed job.
        host.RecurringJobs.AddOrUpdate<CountingJobs>("cleanup", j => j.Count("cleanup"), "0 4 * * *");
        host.RecurringJobs.AddOrUpdate<CountingJobs>("nightly-report", j => j.Count("nightly"), "45 2 * * *");
        host.RecurringJobs.RemoveIfExists("every-15-minutes");

        var drift = await RunAsync(host, "elasticsqs", "cron-yaml", "--output", host.CronYamlFullPath, "--check");

        drift.ExitCode.Should().Be(ElasticSqsCommands.Failure);
        drift.Error.Should().Contain("(3 difference(s))");
        drift.Error.Should().Contain("Recurring job 'cleanup' is missing from cron.yaml: it will never run on Elastic Beanstalk")
            .And.Contain("schedule \"0 4 * * *\"");
        drift.Error.Should().Contain("Recurring job 'nightly-report' needs schedule \"45 2 * * *\" (UTC) but cron.yaml task 'nightly-report'")
            .And.Contain("has \"30 2 * * *\"");
        drift.Error.Should().Contain("cron.yaml task 'every-15-minutes'").And.Contain("matches no registered recurring job");
        (await File.ReadAllTextAsync(host.CronYamlFullPath)).Should().Be(ExpectedYaml, "--check never writes");
    }

    [Test]
    public async Task Check_fails_when_there_is_no_cron_yaml_but_jobs_have_schedules()
    {
        await using var host = await SchedulingTestHost.CreateAsync(_moto, registerJobs: RegisterJobs, start: false);

        var (exitCode, _, error) = await RunAsync(host, "elasticsqs", "cron-yaml", "--output", host.CronYamlFullPath, "--check");

        exitCode.Should().Be(1);
        foreach (var id in new[] { "every-15-minutes", "nightly-report", "tokyo-morning" })
        {
            error.Should().Contain($"Recurring job '{id}' is missing from cron.yaml");
        }

        error.Should().NotContain("manual-only");
    }

    [Test]
    public async Task Schedules_sqsd_cannot_express_exactly_fail_the_command_naming_each_job_and_write_nothing()
    {
        await using var host = await SchedulingTestHost.CreateAsync(
            _moto,
            registerJobs: jobs =>
            {
                jobs.AddOrUpdate<CountingJobs>("fine", j => j.Count("fine"), "0 * * * *");
                jobs.AddOrUpdate<CountingJobs>("every-30-seconds", j => j.Count("s"), "*/30 * * * * *");
                jobs.AddOrUpdate<CountingJobs>("last-day", j => j.Count("l"), "0 0 L * *");
                jobs.AddOrUpdate<CountingJobs>("berlin-morning", j => j.Count("b"), "0 8 * * *", new RecurringJobOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin") });
            },
            start: false);

        var (exitCode, output, error) = await RunAsync(host, "elasticsqs", "cron-yaml", "--output", host.CronYamlFullPath);

        exitCode.Should().Be(ElasticSqsCommands.Failure);
        output.Should().BeEmpty();
        error.Should().Contain("3 recurring job problem(s)");
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => line.StartsWith(" - ", StringComparison.Ordinal)).ToList();
        lines.Should().HaveCount(3);
        lines.Should().ContainSingle(line => line.Contains("every-30-seconds", StringComparison.Ordinal) && line.Contains("*/30 * * * * *", StringComparison.Ordinal));
        lines.Should().ContainSingle(line => line.Contains("last-day", StringComparison.Ordinal) && line.Contains("0 0 L * *", StringComparison.Ordinal));
        lines.Should().ContainSingle(line => line.Contains("berlin-morning", StringComparison.Ordinal) && line.Contains("Europe/Berlin", StringComparison.Ordinal));
        lines.Should().NotContain(line => line.Contains("'fine'", StringComparison.Ordinal));
        File.Exists(host.CronYamlFullPath).Should().BeFalse();
    }

    [Test]
    public async Task Unknown_commands_and_options_are_usage_errors_and_other_arguments_are_not_commands()
    {
        await using var host = await SchedulingTestHost.CreateAsync(_moto, registerJobs: RegisterJobs, start: false);

        (await RunAsync(host, "elasticsqs", "cron-yml")).ExitCode.Should().Be(ElasticSqsCommands.UsageError);
        (await RunAsync(host, "elasticsqs", "cron-yaml", "--outptu", "x.yaml")).ExitCode.Should().Be(ElasticSqsCommands.UsageError);
        (await RunAsync(host, "elasticsqs", "cron-yaml", "--output")).ExitCode.Should().Be(ElasticSqsCommands.UsageError);
        (await RunAsync(host, "elasticsqs")).ExitCode.Should().Be(ElasticSqsCommands.UsageError);
        ElasticSqsCommands.IsCommand(["--urls", "http://localhost:5000"]).Should().BeFalse();
        ElasticSqsCommands.IsCommand([]).Should().BeFalse();
        ElasticSqsCommands.IsCommand(["elasticsqs", "cron-yaml"]).Should().BeTrue();
    }

    [Test]
    public async Task TryRun_returns_false_for_ordinary_arguments_and_sets_the_exit_code_when_it_ran_a_command()
    {
        await using var host = await SchedulingTestHost.CreateAsync(_moto, registerJobs: RegisterJobs, start: false);
        (await host.App.TryRunElasticSqsCommandAsync(["--urls", "http://127.0.0.1:5000"])).Should().BeFalse();
        (await host.App.TryRunElasticSqsCommandAsync([])).Should().BeFalse();

        var previous = Environment.ExitCode;
        try
        {
            (await host.App.TryRunElasticSqsCommandAsync(["elasticsqs", "cron-yaml", "--output", host.CronYamlFullPath, "--check"])).Should().BeTrue();
            Environment.ExitCode.Should().Be(ElasticSqsCommands.Failure, "there is no cron.yaml yet");
            (await host.App.TryRunElasticSqsCommandAsync(["elasticsqs", "cron-yaml", "--output", host.CronYamlFullPath])).Should().BeTrue();
            Environment.ExitCode.Should().Be(ElasticSqsCommands.Success);
            (await File.ReadAllTextAsync(host.CronYamlFullPath)).Should().Be(ExpectedYaml);
        }
        finally
        {
            Environment.ExitCode = previous;
        }
    }

    [Test]
    public async Task In_Hangfire_scheduler_mode_the_command_refuses_to_generate_cron_yaml()
    {
        await using var host = await SchedulingTestHost.CreateAsync(_moto, worker: o => o.RecurringJobScheduler = RecurringJobSchedulerMode.Hangfire, registerJobs: RegisterJobs, start: false);

        var (exitCode, _, error) = await RunAsync(host, "elasticsqs", "cron-yaml", "--output", host.CronYamlFullPath);

        exitCode.Should().Be(ElasticSqsCommands.Failure);
        error.Should().Contain("RecurringJobScheduler is Hangfire");
        File.Exists(host.CronYamlFullPath).Should().BeFalse();
    }
}
