using Hangfire.ElasticSqs.Sample.Demo;

namespace Hangfire.ElasticSqs.EndToEnd.Tests;

/// <summary>
/// The demo in poll mode (<c>demo --poll</c>): the sample's worker role is the ordinary Hangfire server receiving from
/// moto SQS itself, with Hangfire's own scheduler for the recurring job, and no sqsd at all.
/// </summary>
[TestFixture]
[NonParallelizable] // Hangfire's global configuration (JobStorage.Current, filters) is process-wide.
public sealed class PollModeDemoTests
{
    private DemoResult _result = null!;

    [OneTimeSetUp]
    public async Task RunDemoOnce()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        _result = await DemoRunner.RunAsync(
            new DemoOptions { Poll = true, FirePeriodicTasksNow = true, Deadline = TimeSpan.FromSeconds(60), Output = TestContext.Progress },
            timeout.Token);
    }

    [Test]
    public void Every_job_kind_ends_as_expected_with_nothing_dead_lettered()
    {
        _result.Outcomes.Select(o => o.Kind).Should().BeEquivalentTo(
            "fire-and-forget", "parent", "continuation", "delayed", "fails twice", "always fails", "recurring (scheduler)");
        _result.Outcomes.Where(o => !o.Met).Should().BeEmpty();
        _result.DeadLetters.Should().Be(0);
        _result.DashboardStatus.Should().Be(200);
    }

    [Test]
    public void Retries_travel_as_delayed_messages_in_poll_mode_too()
    {
        var outcome = _result.Outcomes.Single(o => o.Kind == "fails twice");
        outcome.Attempts.Should().Be(3);
        outcome.Retries.Should().Be(2);
    }
}
