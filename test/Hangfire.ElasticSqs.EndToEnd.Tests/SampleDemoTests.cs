using Hangfire.ElasticSqs.Sample.Demo;

namespace Hangfire.ElasticSqs.EndToEnd.Tests;

/// <summary>
/// The README's first command, run in-process: moto SQS with a dead-letter queue, the sample app in both roles, the
/// local sqsd delivering every message (and the cron.yaml task) over HTTP, and the realistic job mix.
/// </summary>
[TestFixture]
[NonParallelizable] // Hangfire's global configuration (JobStorage.Current, filters) is process-wide.
public sealed class SampleDemoTests
{
    private DemoResult _result = null!;

    [OneTimeSetUp]
    public async Task RunDemoOnce()
    {
        // The periodic task is sent through the queue at once (as sqsd's leader does at a fire time) so the test does
        // not wait for the next minute boundary; everything else is exactly the demo.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        _result = await DemoRunner.RunAsync(
            new DemoOptions { FirePeriodicTasksNow = true, Deadline = TimeSpan.FromSeconds(60), Output = TestContext.Progress },
            timeout.Token);
    }

    [Test]
    public void Every_outcome_matches_its_expectation()
    {
        _result.Outcomes.Where(o => !o.Met).Should().BeEmpty();
        _result.Succeeded.Should().BeTrue();
    }

    [Test]
    public void Covers_every_job_kind_of_the_demo()
        => _result.Outcomes.Select(o => o.Kind).Should().BeEquivalentTo(
            "fire-and-forget", "parent", "continuation", "delayed", "fails twice", "always fails", "recurring (cron.yaml)");

    [Test]
    public void Fire_and_forget_jobs_succeed_on_the_first_attempt()
    {
        foreach (var kind in new[] { "fire-and-forget", "parent" })
        {
            var outcome = Outcome(kind);
            outcome.Actual.Should().StartWith("Succeeded");
            outcome.Attempts.Should().Be(1);
            outcome.Retries.Should().Be(0);
        }
    }

    [Test]
    public void The_job_that_fails_twice_succeeds_on_its_third_attempt_after_two_retries()
    {
        var outcome = Outcome("fails twice");
        outcome.Actual.Should().StartWith("Succeeded");
        outcome.Attempts.Should().Be(3);
        outcome.Retries.Should().Be(2);
    }

    [Test]
    public void The_job_that_always_fails_ends_failed_after_its_one_retry()
    {
        var outcome = Outcome("always fails");
        outcome.Actual.Should().StartWith("Failed");
        outcome.Attempts.Should().Be(2);
        outcome.Retries.Should().Be(1);
        _result.CountsByState["Failed"].Should().Be(1);
    }

    [Test]
    public void The_delayed_job_runs_no_earlier_than_its_delay_allows()
    {
        var outcome = Outcome("delayed");
        outcome.Met.Should().BeTrue();
        outcome.FirstStart.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(2), "it was scheduled 3 s out and the worker's due tolerance is 1 s");
    }

    [Test]
    public void The_continuation_runs_after_its_parent()
    {
        Outcome("continuation").Met.Should().BeTrue();
        Outcome("continuation").FirstStart.Should().BeGreaterThanOrEqualTo(Outcome("parent").Done!.Value);
    }

    [Test]
    public void The_recurring_job_is_triggered_through_cron_yaml_and_succeeds()
    {
        var outcome = Outcome("recurring (cron.yaml)");
        outcome.Met.Should().BeTrue();
        outcome.JobId.Should().NotBeEmpty();
    }

    [Test]
    public void Nothing_reaches_the_dead_letter_queue_and_nothing_is_left_in_flight()
    {
        _result.DeadLetters.Should().Be(0);
        // Five one-off jobs succeed, plus every heartbeat: a minute boundary during the run adds a cron.yaml-fired one.
        _result.RecurringRuns.Should().BeGreaterThanOrEqualTo(1);
        _result.CountsByState["Succeeded"].Should().Be(5 + _result.RecurringRuns);
        _result.CountsByState["Enqueued"].Should().Be(0);
        _result.CountsByState["Scheduled"].Should().Be(0);
        _result.CountsByState["Processing"].Should().Be(0);
    }

    [Test]
    public void The_dashboard_answers_local_requests()
    {
        _result.DashboardStatus.Should().Be(200);
        _result.DashboardUrl.AbsolutePath.Should().Be("/hangfire");
    }

    private DemoOutcome Outcome(string kind) => _result.Outcomes.Single(o => o.Kind == kind);
}
