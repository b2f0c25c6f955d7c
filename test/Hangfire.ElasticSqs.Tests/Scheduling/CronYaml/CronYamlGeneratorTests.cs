using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Tests.Scheduling.CronYaml;

public class CronYamlGeneratorTests
{
    private static readonly ITimeZoneResolver TestZones = new TestTimeZoneResolver();

    [Test]
    public void Generates_sorted_deterministic_cron_yaml_for_the_registered_jobs()
    {
        CronYamlRecurringJob[] jobs =
        [
            new("weekly.digest", Cron.Weekly(DayOfWeek.Monday, 9), "Plus2"),
            new("nightly-report", Cron.Daily(3, 30), "UTC", "reports"),
            new("cleanup:temp files", "0 */6 * * *"),
        ];

        var yaml = CronYamlGenerator.Generate(jobs, timeZoneResolver: TestZones).ToYaml();

        yaml.Should().Be("""
            version: 1
            cron:
              - name: "cleanup_temp_files--0e20aa703795"
                url: "/periodic-tasks"
                schedule: "0 */6 * * *"
              - name: "nightly-report"
                url: "/periodic-tasks"
                schedule: "30 3 * * *"
              - name: "weekly.digest"
                url: "/periodic-tasks"
                schedule: "0 7 * * 1"

            """.ReplaceLineEndings("\n"));
        // Not jobs.Reverse(): on net8.0 that binds to the in-place MemoryExtensions.Reverse(Span<T>), which returns nothing.
        CronYamlGenerator.Generate(Enumerable.Reverse(jobs), timeZoneResolver: TestZones).ToYaml().Should().Be(yaml);
    }

    [Test]
    public void Reads_Hangfire_storage_dtos_and_skips_removed_jobs_and_jobs_that_never_fire()
    {
        RecurringJobDto[] jobs =
        [
            new() { Id = "hourly", Cron = Cron.Hourly(15), TimeZoneId = "UTC", Queue = "default" },
            new() { Id = "manual-only", Cron = Cron.Never() },
            new() { Id = "gone", Cron = "not a cron", Removed = true },
        ];

        var file = CronYamlGenerator.Generate(jobs, "/jobs/periodic");

        file.Tasks.Should().Equal(new CronYamlTask("hourly", "/jobs/periodic", "15 * * * *"));
    }

    [Test]
    public void Lists_every_problem_together_each_naming_the_job_expression_and_reason()
    {
        CronYamlRecurringJob[] jobs =
        [
            new("fine", Cron.Daily()),
            new("every-10-seconds", "*/10 * * * * *"),
            new("london-morning", "0 9 * * *", "Europe/London"),
            new("last-day", "0 0 L * *"),
            new("somewhere", "0 9 * * *", "Nowhere/Nothing"),
        ];

        var generate = () => CronYamlGenerator.Generate(jobs);

        var problems = generate.Should().Throw<CronYamlGenerationException>().Which.Problems;
        problems.Should().SatisfyRespectively(
            first => first.Should().StartWith("Recurring job 'every-10-seconds': schedule '*/10 * * * * *'").And.Contain("ignores a 6th field"),
            second => second.Should().StartWith("Recurring job 'last-day': schedule '0 0 L * *'").And.Contain("'L'"),
            third => third.Should().StartWith("Recurring job 'london-morning': schedule '0 9 * * *' (time zone 'Europe/London')").And.Contain("daylight saving"),
            fourth => fourth.Should().StartWith("Recurring job 'somewhere': schedule '0 9 * * *' (time zone 'Nowhere/Nothing')").And.Contain("not known"));
    }

    [Test]
    public void The_exception_message_lists_the_problems_one_per_line()
    {
        var generate = () => CronYamlGenerator.Generate([new CronYamlRecurringJob("a", "0 0 L * *"), new CronYamlRecurringJob("b", "0 0 ? * *")]);

        generate.Should().Throw<CronYamlGenerationException>()
            .Which.Message.Should().StartWith("cron.yaml cannot be generated (2 problems):\n - Recurring job 'a'").And.Contain("\n - Recurring job 'b'");
    }

    [Test]
    public void A_job_listed_twice_is_a_problem()
    {
        var generate = () => CronYamlGenerator.Generate([new CronYamlRecurringJob("a", Cron.Daily()), new CronYamlRecurringJob("a", Cron.Hourly())]);

        generate.Should().Throw<CronYamlGenerationException>().Which.Problems.Should().ContainSingle().Which.Should().Contain("'a' is listed twice");
    }

    [TestCase("periodic-tasks")]
    [TestCase("//evil.example/x")]
    [TestCase("/with space")]
    [TestCase("/query?x=1")]
    [TestCase("")]
    public void The_periodic_task_path_must_be_a_plain_absolute_path(string path)
    {
        var generate = () => CronYamlGenerator.Generate([new CronYamlRecurringJob("a", Cron.Daily())], path);

        generate.Should().Throw<ArgumentException>().WithParameterName("periodicTaskPath");
    }

    private sealed class TestTimeZoneResolver : ITimeZoneResolver
    {
        public TimeZoneInfo GetTimeZoneById(string timeZoneId) => TestTimeZones.Get(timeZoneId);
    }
}
