using System.Net;
using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Worker.Delivery;
using Hangfire.ElasticSqs.Worker.Tests.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Hangfire.ElasticSqs.Worker.Tests.Delivery;

/// <summary>
/// Periodic tasks are unsigned: only a genuine occurrence of the job's own schedule, close to now, triggers it, once;
/// each path serves its own kind of request; and unsigned header values never reach a log raw.
/// </summary>
public class PeriodicTaskHandlerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 3, 5, 0, TimeSpan.Zero);
    private MotoServer _moto = null!;

    [OneTimeSetUp]
    public async Task Start() => _moto = await MotoServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _moto.DisposeAsync();

    [Test]
    public async Task Only_the_schedules_own_recent_occurrence_triggers_the_job_and_only_once()
    {
        await using var host = await WorkerTestHost.StartAsync(_moto, time: new FakeTimeProvider(Now));
        var key = "occurrence-" + Guid.NewGuid().ToString("N");
        new RecurringJobManager(host.Storage).AddOrUpdate<CountingJobs>("nightly report", j => j.Count(key), Cron.Daily(3));
        var task = CronYamlTaskNames.ToTaskName("nightly report");

        var answers = new List<(string ScheduledAt, HttpStatusCode Status)>();
        foreach (var scheduledAt in new[]
        {
            "2026-11-23T03:00:00Z", // the genuine occurrence, 5 minutes ago
            "2026-11-23T03:00:00Z", // its redelivery
            "2026-11-23T03:01:00Z", // not an occurrence of 0 3 * * *
            "2026-11-22T03:00:00Z", // an occurrence, but a day old
            "2026-11-24T03:00:00Z", // an occurrence, tomorrow
            "yesterday",            // unreadable
            string.Empty,           // missing
        })
        {
            using var request = WorkerTestHost.PeriodicRequest(task, scheduledAt);
            answers.Add((scheduledAt, (await host.Http.SendAsync(request)).StatusCode));
        }

        answers.Select(a => a.Status).Should().Equal(
            HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest);
        var triggered = await host.ReceiveAsync();
        (await host.DeliverAsync(triggered)).StatusCode.Should().Be(HttpStatusCode.OK);
        CountingJobs.RunsOf(key).Should().Be(1);
        (await host.QueueAttributesAsync())["ApproximateNumberOfMessages"].Should().Be("0", "one trigger for seven requests");
    }

    [Test]
    public async Task Each_path_serves_its_own_kind_of_request_only()
    {
        await using var host = await WorkerTestHost.StartAsync(_moto, time: new FakeTimeProvider(Now));
        var key = "paths-" + Guid.NewGuid().ToString("N");
        new RecurringJobManager(host.Storage).AddOrUpdate<CountingJobs>("paths", j => j.Count(key), Cron.Daily(3));
        var jobId = host.Client.Enqueue<CountingJobs>(j => j.Count(key));
        var message = await host.ReceiveAsync();

        using var periodicOnJobPath = WorkerTestHost.PeriodicRequest(CronYamlTaskNames.ToTaskName("paths"), "2026-11-23T03:00:00Z");
        periodicOnJobPath.RequestUri = new Uri("/", UriKind.Relative);
        var first = await host.Http.SendAsync(periodicOnJobPath);
        var second = await host.DeliverAsync(message, request => request.RequestUri = new Uri("/periodic-tasks", UriKind.Relative));

        first.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await first.Content.ReadAsStringAsync()).Should().Contain("periodic-task path");
        second.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await second.Content.ReadAsStringAsync()).Should().Contain("HttpPath");
        CountingJobs.RunsOf(key).Should().Be(0);
        host.StateOf(jobId).Should().Be(Hangfire.States.EnqueuedState.StateName);
        (await host.DeliverAsync(message)).StatusCode.Should().Be(HttpStatusCode.OK, "on its own path the same message runs");
        CountingJobs.RunsOf(key).Should().Be(1);
    }

    [Test]
    public async Task Unsigned_header_values_are_logged_without_control_characters_and_truncated_and_never_answered()
    {
        var logs = new FakeLoggerProvider();
        await using var host = await WorkerTestHost.StartAsync(_moto, time: new FakeTimeProvider(Now), services: s => s.AddSingleton<ILoggerProvider>(logs));
        // One 30 KB value per request: Kestrel allows 32 KB of headers in all.
        var hostile = "evil\t\u001b[31m forged" + new string('x', 30 * 1024);

        using var request = WorkerTestHost.PeriodicRequest("task", "2026-11-23T03:00:00Z");
        request.Headers.Remove("X-Aws-Sqsd-Taskname");
        request.Headers.TryAddWithoutValidation("X-Aws-Sqsd-Taskname", hostile);
        var response = await host.Http.SendAsync(request);
        var job = await host.DeliverAsync(await ReceiveAfterEnqueue(host), r =>
        {
            r.Headers.Remove("X-Aws-Sqsd-Msgid");
            r.Headers.TryAddWithoutValidation("X-Aws-Sqsd-Msgid", hostile);
        });

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).Should().NotContain("evil");
        job.StatusCode.Should().Be(HttpStatusCode.OK);
        var lines = logs.Collector.GetSnapshot()
            .Where(e => e.Category == typeof(PeriodicTaskHandler).FullName || e.Category == typeof(SqsdEndpointHandler).FullName)
            .Select(e => e.Message).ToList();
        lines.Should().HaveCount(2).And.OnlyContain(m => m.Contains("evil", StringComparison.Ordinal));
        lines.Should().OnlyContain(m => m.Length < 1024 && !m.Any(char.IsControl));
        lines.Should().OnlyContain(m => m.Contains("(30", StringComparison.Ordinal), "the original length is noted");
    }

    private static async Task<Amazon.SQS.Model.Message> ReceiveAfterEnqueue(WorkerTestHost host)
    {
        host.Client.Enqueue<CountingJobs>(j => j.Count("log-" + Guid.NewGuid().ToString("N")));
        return await host.ReceiveAsync();
    }
}
