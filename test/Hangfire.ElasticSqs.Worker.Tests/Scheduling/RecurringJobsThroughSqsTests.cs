using System.Net;
using Hangfire.ElasticSqs.LocalSqsd;
using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Worker.Scheduling;
using Hangfire.ElasticSqs.Worker.Tests.Delivery;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Hangfire.ElasticSqs.Worker.Tests.Scheduling;

// Declared inside the namespace so that it wins over the namespace Hangfire.ElasticSqs.LocalSqsd.
using LocalSqsd = global::Hangfire.ElasticSqs.LocalSqsd.LocalSqsd;

/// <summary>
/// Recurring jobs end to end over moto: a generated cron.yaml fired by the local sqsd through the worker queue, and
/// Hangfire's own scheduler in <see cref="RecurringJobSchedulerMode.Hangfire"/> mode — each run an ordinary job with
/// Dashboard history.
/// </summary>
public class RecurringJobsThroughSqsTests
{
    private MotoServer _moto = null!;

    [OneTimeSetUp]
    public async Task Start() => _moto = await MotoServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _moto.DisposeAsync();

    private static LocalSqsdOptions SqsdOptions(SchedulingTestHost host, string? cronYamlPath = null) => new()
    {
        WorkerQueueURL = host.QueueUrl(),
        BaseAddress = host.BaseAddress,
        CronYamlPath = cronYamlPath,
        ReceiveWaitTimeSeconds = 1,
        ErrorVisibilityTimeout = 1,
        BatchDeleteDelay = TimeSpan.Zero,
    };

    private static RecurringJobDto RecurringJob(SchedulingTestHost host, string id)
    {
        using var connection = host.Storage.GetConnection();
        return connection.GetRecurringJobs([id]).Single();
    }

    [Test]
    public async Task A_cron_yaml_task_fired_by_the_local_sqsd_through_moto_triggers_the_job_and_the_Dashboard_shows_its_history()
    {
        var key = "cron-" + Guid.NewGuid().ToString("N");
        await using var host = await SchedulingTestHost.CreateAsync(_moto, registerJobs: jobs => jobs.AddOrUpdate<CountingJobs>("nightly report", j => j.Count(key), "*/5 * * * *"));
        await File.WriteAllTextAsync(host.CronYamlFullPath, ElasticSqsCronYaml.GenerateYaml(host.Storage));
        RecurringJob(host, "nightly report").LastJobId.Should().BeNull("nothing triggered it yet");

        // Shortly before the real time, 30 s past a minute; the fake clock reaches the next */5 fire time without
        // waiting for it, and that fire time is still in the past on the worker's real clock (a task scheduled in its
        // future is refused), and recent (so that nothing counts as expired).
        var now = DateTimeOffset.UtcNow.AddMinutes(-6);
        var clock = new FakeTimeProvider(new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 30, TimeSpan.Zero));
        await using var sqsd = new LocalSqsd(SqsdOptions(host, host.CronYamlFullPath), host.Sqs, timeProvider: clock);
        await sqsd.StartAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(5));

        await Eventually.True(() => CountingJobs.RunsOf(key) == 1, "the recurring job to run once");
        var recurring = await Eventually.Until(() => RecurringJob(host, "nightly report"), job => job.LastJobState == SucceededState.StateName, "the recurring job's last run to succeed");

        recurring.LastJobId.Should().NotBeNull();
        recurring.LastExecution.Should().NotBeNull().And.BeCloseTo(DateTime.UtcNow, TimeSpan.FromMinutes(1));
        var details = host.Storage.GetMonitoringApi().JobDetails(recurring.LastJobId);
        details.Properties.Should().Contain("RecurringJobId", "\"nightly report\"");
        details.History.Select(state => state.StateName).Should().Equal([SucceededState.StateName, ProcessingState.StateName, EnqueuedState.StateName], "the Dashboard lists the history newest first");
        host.Storage.GetMonitoringApi().SucceededListCount().Should().BeGreaterThanOrEqualTo(1);

        // The handler logs after it recorded the run, which can be after the job itself already ran.
        var handlerLog = await Eventually.Until(
            () => host.LogsFrom<Hangfire.ElasticSqs.Worker.Delivery.PeriodicTaskHandler>().Select(e => $"{e.Level}: {e.Message}").ToList(),
            lines => lines.Any(line => line.Contains("triggered recurring job nightly report", StringComparison.Ordinal)),
            "the periodic-task handler to log the trigger");
        handlerLog.Should().ContainSingle(line => line.Contains("triggered recurring job nightly report", StringComparison.Ordinal), string.Join('\n', handlerLog));
        CountingJobs.RunsOf(key).Should().Be(1, "one fire time, one run");
    }

    [Test]
    public async Task In_Hangfire_scheduler_mode_a_due_minutely_job_runs_through_sqs_and_periodic_tasks_get_404()
    {
        var key = "hangfire-" + Guid.NewGuid().ToString("N");
        await using var host = await SchedulingTestHost.CreateAsync(
            _moto,
            worker: o => o.RecurringJobScheduler = RecurringJobSchedulerMode.Hangfire,
            timings: new SchedulingTimings { DriftCheckDelay = TimeSpan.Zero, RecurringJobPollingDelay = TimeSpan.FromMilliseconds(200) });

        // Registered as if two minutes ago, so its next execution is already due: Hangfire's scheduler (its own
        // clock) triggers it on its next poll instead of at the next minute.
        var manager = new RecurringJobManager(host.Storage, Hangfire.Common.JobFilterProviders.Providers, new DefaultTimeZoneResolver(), () => DateTime.UtcNow.AddMinutes(-2));
        manager.AddOrUpdate<CountingJobs>("every-minute", j => j.Count(key), Cron.Minutely());

        await using var sqsd = new LocalSqsd(SqsdOptions(host), host.Sqs);
        await sqsd.StartAsync(CancellationToken.None);

        await Eventually.True(() => CountingJobs.RunsOf(key) >= 1, "Hangfire's scheduler to trigger the job and sqsd to deliver it");
        var recurring = await Eventually.Until(() => RecurringJob(host, "every-minute"), job => job.LastJobState == SucceededState.StateName, "the recurring job's last run to succeed");
        recurring.LastExecution.Should().NotBeNull();
        recurring.NextExecution.Should().BeAfter(DateTime.UtcNow.AddSeconds(-5), "the scheduler moved it to the next minute");
        host.Storage.GetMonitoringApi().JobDetails(recurring.LastJobId).History.Select(state => state.StateName).Should().Contain(SucceededState.StateName);

        // A cron.yaml task for the same job is refused, so the job is never triggered by both.
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using var request = WorkerTestHost.PeriodicRequest("every-minute", "2026-11-23T03:00:00Z");
        var response = await http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var answer = await response.Content.ReadAsStringAsync();
        answer.Should().Contain("RecurringJobScheduler = Hangfire");
        answer.Should().NotContain("every-minute", "an answer never repeats a request header");

        // The loopback gate runs first: a client nginx forwarded from outside gets 403, not the refusal.
        using var forwarded = WorkerTestHost.PeriodicRequest("every-minute", "2026-11-23T03:00:00Z");
        forwarded.Headers.Add("X-Forwarded-For", "203.0.113.9");
        var outside = await http.SendAsync(forwarded);
        outside.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await outside.Content.ReadAsStringAsync()).Should().Be("Forbidden");
        host.LogsFrom<PeriodicTaskRefusalPolicy>().Should().ContainSingle(e => e.Level == LogLevel.Warning && e.Message.Contains("Periodic task every-minute refused with 404", StringComparison.Ordinal));
        using var connection = host.Storage.GetConnection();
        connection.GetAllEntriesFromHash(Hangfire.ElasticSqs.Storage.StorageKeys.PeriodicRun("every-minute", DateTimeOffset.Parse("2026-11-23T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture)))
            .Should().BeNullOrEmpty("the periodic-task handler never saw it");
    }

    [Test]
    public async Task In_cron_yaml_mode_the_worker_runs_no_recurring_scheduler()
    {
        var key = "cronmode-" + Guid.NewGuid().ToString("N");
        await using var host = await SchedulingTestHost.CreateAsync(_moto);
        var manager = new RecurringJobManager(host.Storage, Hangfire.Common.JobFilterProviders.Providers, new DefaultTimeZoneResolver(), () => DateTime.UtcNow.AddMinutes(-2));
        manager.AddOrUpdate<CountingJobs>("due-but-cron-yaml", j => j.Count(key), Cron.Minutely());

        // The job is due; only a scheduler would enqueue it. A marker job enqueued afterwards arrives alone.
        var marker = host.Services.GetRequiredService<IBackgroundJobClient>().Enqueue<CountingJobs>(j => j.Count(key + "-marker"));
        var messages = await Eventually.Until(
            async () => (await host.Sqs.ReceiveMessageAsync(new Amazon.SQS.Model.ReceiveMessageRequest(host.QueueUrl()) { MaxNumberOfMessages = 10, WaitTimeSeconds = 1, MessageAttributeNames = ["All"] })).Messages ?? [],
            received => received.Count > 0,
            "the marker job's message");

        messages.Should().ContainSingle().Which.Body.Should().Contain(marker);
        RecurringJob(host, "due-but-cron-yaml").LastJobId.Should().BeNull("nothing but a cron.yaml periodic task triggers recurring jobs in this mode");
    }
}
