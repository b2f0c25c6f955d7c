using System.Net;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Pipeline;
using Hangfire.ElasticSqs.Worker.Delivery;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Hangfire.ElasticSqs.Worker.Tests.Delivery;

/// <summary>The 503/404 rows of the contract, periodic tasks, and processing switched off.</summary>
public class UnavailableAndPeriodicTests
{
    private MotoServer _moto = null!;

    [OneTimeSetUp]
    public async Task Start() => _moto = await MotoServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _moto.DisposeAsync();

    [Test]
    public async Task A_delivery_no_worker_takes_in_time_gets_503_and_succeeds_when_delivered_again()
    {
        await using var host = await WorkerTestHost.StartAsync(_moto, worker: o =>
        {
            o.WorkerCount = 1;
            o.HandOffTimeout = TimeSpan.FromMilliseconds(300);
        });
        var holdKey = Guid.NewGuid().ToString();
        host.Client.Enqueue<CountingJobs>(j => j.Hold(holdKey));
        var busy = host.DeliverAsync(await host.ReceiveAsync());
        await Eventually.True(() => CountingJobs.RunsOf(holdKey) == 1, "the only worker to be busy");

        var key = Guid.NewGuid().ToString();
        var jobId = host.Client.Enqueue<CountingJobs>(j => j.Count(key));
        var waiting = await host.ReceiveAsync();
        (await host.DeliverAsync(waiting)).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        CountingJobs.RunsOf(key).Should().Be(0);

        CountingJobs.Gates[holdKey].Release();
        (await busy).StatusCode.Should().Be(HttpStatusCode.OK);
        (await host.DeliverAsync(waiting)).StatusCode.Should().Be(HttpStatusCode.OK, "sqsd delivers it again and it runs");
        CountingJobs.RunsOf(key).Should().Be(1);
        host.StateOf(jobId).Should().Be(SucceededState.StateName);
    }

    [Test]
    public async Task A_delivery_waiting_for_a_worker_when_shutdown_begins_gets_503_and_does_not_run()
    {
        await using var host = await WorkerTestHost.StartAsync(_moto, worker: o => o.WorkerCount = 1);
        var holdKey = Guid.NewGuid().ToString();
        host.Client.Enqueue<CountingJobs>(j => j.Hold(holdKey));
        var busy = host.DeliverAsync(await host.ReceiveAsync());
        await Eventually.True(() => CountingJobs.RunsOf(holdKey) == 1, "the only worker to be busy");

        var key = Guid.NewGuid().ToString();
        var jobId = host.Client.Enqueue<CountingJobs>(j => j.Count(key));
        var waiting = host.DeliverAsync(await host.ReceiveAsync());
        var storage = host.Services.GetRequiredService<ElasticSqsStorage>();
        await Eventually.True(() => storage.Deliveries.Count == 1, "the second delivery to wait in the channel");

        host.Services.GetRequiredService<ElasticSqsStorage>().HandOff.BeginShutdown();

        (await waiting).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        CountingJobs.Gates[holdKey].Release();
        (await busy).StatusCode.Should().Be(HttpStatusCode.OK, "the job already running finishes and is acknowledged");
        CountingJobs.RunsOf(key).Should().Be(0);
        host.StateOf(jobId).Should().Be(EnqueuedState.StateName, "the message stays on the queue for another worker");
    }

    [Test]
    public async Task While_shutting_down_new_deliveries_get_503_and_do_not_run()
    {
        await using var host = await WorkerTestHost.StartAsync(_moto);
        var key = Guid.NewGuid().ToString();
        var jobId = host.Client.Enqueue<CountingJobs>(j => j.Count(key));
        var message = await host.ReceiveAsync();

        host.Services.GetRequiredService<ElasticSqsStorage>().HandOff.BeginShutdown();

        (await host.DeliverAsync(message)).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        CountingJobs.RunsOf(key).Should().Be(0);
        host.StateOf(jobId).Should().Be(EnqueuedState.StateName, "the message stays on the queue for another worker");
    }

    [Test]
    public async Task When_sqs_is_unreachable_a_delivery_that_must_be_delayed_again_gets_503()
    {
        await using var moto = await MotoServer.StartAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await WorkerTestHost.StartAsync(moto, time: clock);
        var key = Guid.NewGuid().ToString();
        var jobId = host.Client.Schedule<CountingJobs>(j => j.Count(key), TimeSpan.FromMinutes(20));
        DateTime enqueueAt;
        using (var connection = host.Storage.GetConnection())
        {
            enqueueAt = Hangfire.Common.JobHelper.DeserializeDateTime(connection.GetStateData(jobId).Data["EnqueueAt"]);
        }

        var (body, attributes) = host.SignedMessage(jobId, due: enqueueAt);
        await moto.StopAsync();
        clock.Advance(TimeSpan.FromMinutes(15));

        (await host.Http.SendAsync(WorkerTestHost.SqsdRequest(body, attributes))).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable,
            "acknowledging would lose the job: the next link of its delay could not be sent");
        CountingJobs.RunsOf(key).Should().Be(0);
    }

    [Test]
    public async Task A_periodic_task_triggers_its_recurring_job_once_per_scheduled_time_and_unknown_tasks_get_404()
    {
        await using var host = await WorkerTestHost.StartAsync(_moto, time: new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 3, 1, 0, TimeSpan.Zero)));
        var key = "periodic-" + Guid.NewGuid().ToString("N");
        new RecurringJobManager(host.Storage).AddOrUpdate<CountingJobs>("nightly report", j => j.Count(key), Cron.Daily(3));

        var taskName = Hangfire.ElasticSqs.Scheduling.CronYaml.CronYamlTaskNames.ToTaskName("nightly report");
        var first = await host.Http.SendAsync(WorkerTestHost.PeriodicRequest(taskName, "2026-11-23T03:00:00Z"));
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        var duplicate = await host.Http.SendAsync(WorkerTestHost.PeriodicRequest(taskName, "2026-11-23T03:00:00Z"));
        duplicate.StatusCode.Should().Be(HttpStatusCode.OK);
        var unknown = await host.Http.SendAsync(WorkerTestHost.PeriodicRequest("no-such-task", "2026-11-23T03:00:00Z"));
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);

        var triggered = await host.ReceiveAsync();
        (await host.DeliverAsync(triggered)).StatusCode.Should().Be(HttpStatusCode.OK);
        CountingJobs.RunsOf(key).Should().Be(1);
        (await host.QueueAttributesAsync())["ApproximateNumberOfMessages"].Should().Be("0", "the duplicate periodic delivery triggered nothing");

        using var connection = host.Storage.GetConnection();
        var recurring = connection.GetRecurringJobs(["nightly report"]).Single();
        recurring.LastJobId.Should().Be(triggered.MessageAttributes[MessageAttributeNames.JobId].StringValue);
        host.StateOf(recurring.LastJobId).Should().Be(SucceededState.StateName, "the run is an ordinary job with history");
    }

    [Test]
    public async Task With_processing_off_sqsd_requests_pass_to_the_rest_of_the_app_and_no_job_runs()
    {
        var previous = Environment.GetEnvironmentVariable(ElasticSqsWorkerOptions.EnableVariable);
        Environment.SetEnvironmentVariable(ElasticSqsWorkerOptions.EnableVariable, null);
        try
        {
            await using var host = await WorkerTestHost.StartAsync(_moto, worker: o => o.Enabled = false);
            var key = Guid.NewGuid().ToString();
            host.Client.Enqueue<CountingJobs>(j => j.Count(key));

            var response = await host.DeliverAsync(await host.ReceiveAsync());

            response.StatusCode.Should().BeOneOf(HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed);
            CountingJobs.RunsOf(key).Should().Be(0);
            host.Storage.GetMonitoringApi().Servers().Should().BeEmpty("no Hangfire worker starts in a web-only process");
        }
        finally
        {
            Environment.SetEnvironmentVariable(ElasticSqsWorkerOptions.EnableVariable, previous);
        }
    }
}
