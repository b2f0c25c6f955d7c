using System.Net;
using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Worker.Tests.Scheduling;
using Hangfire.States;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Hangfire.ElasticSqs.Worker.Tests.Delivery;

/// <summary>
/// The hold bound (ElasticSqsWorkerOptions.LeaseAfter) on the endpoint, with a clock the test moves past it. One process
/// stands in for the instances: its in-memory store is declared durable where a lease must apply.
/// </summary>
public class LeaseTests
{
    private MotoServer _moto = null!;

    [OneTimeSetUp]
    public async Task Start() => _moto = await MotoServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _moto.DisposeAsync();

    [Test]
    public async Task A_job_running_at_the_bound_is_answered_200_only_once_its_Processing_state_on_a_live_server_is_recorded()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await WorkerTestHost.StartAsync(_moto, time: clock, storage: o => o.InnerStorageIsDurable = true, worker: o => o.LeaseAfter = TimeSpan.FromSeconds(5));
        var key = Guid.NewGuid().ToString();
        var jobId = host.Client.Enqueue<CountingJobs>(j => j.Hold(key));
        var message = await host.ReceiveAsync();
        var response = host.DeliverAsync(message);
        await Eventually.True(() => CountingJobs.RunsOf(key) == 1, "the job to start");

        clock.Advance(TimeSpan.FromSeconds(6));
        using (var leased = await response)
        {
            leased.StatusCode.Should().Be(HttpStatusCode.OK);
            (await leased.Content.ReadAsStringAsync()).Should().Contain("Leased");
        }

        // What the 200 promised is already in the store: a crash from here on leaves a job Processing on a dead server.
        using (var connection = host.Storage.GetConnection())
        {
            var state = connection.GetStateData(jobId);
            state.Name.Should().Be(ProcessingState.StateName);
            host.Storage.GetMonitoringApi().Servers().Select(s => s.Name).Should().Contain(state.Data["ServerId"]);
        }

        var attributes = message.MessageAttributes.ToDictionary(a => a.Key, a => a.Value.StringValue);
        using (var duplicate = await host.Http.SendAsync(WorkerTestHost.SqsdRequest(message.Body, attributes, receiveCount: 2)))
        {
            duplicate.StatusCode.Should().Be(HttpStatusCode.Conflict, "the leased job still runs here");
        }

        CountingJobs.Gates[key].Release();
        await Eventually.True(() => host.StateOf(jobId) == SucceededState.StateName, "the leased job to succeed");
        CountingJobs.RunsOf(key).Should().Be(1);
    }

    [Test]
    public async Task On_an_in_memory_store_nothing_is_leased_and_the_start_up_warning_names_the_settings_to_raise()
    {
        var logs = new FakeLoggerProvider();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await WorkerTestHost.StartAsync(_moto, time: clock, worker: o => o.LeaseAfter = TimeSpan.FromSeconds(5), services: s => s.AddSingleton<ILoggerProvider>(logs));
        var key = Guid.NewGuid().ToString();
        var jobId = host.Client.Enqueue<CountingJobs>(j => j.Hold(key));
        var response = host.DeliverAsync(await host.ReceiveAsync());
        await Eventually.True(() => CountingJobs.RunsOf(key) == 1, "the job to start");

        clock.Advance(TimeSpan.FromSeconds(6));
        CountingJobs.Gates[key].Release();
        using (var held = await response)
        {
            held.StatusCode.Should().Be(HttpStatusCode.OK);
            (await held.Content.ReadAsStringAsync()).Should().Contain("Completed", "the delivery was held until the job's outcome was stored");
        }

        host.StateOf(jobId).Should().Be(SucceededState.StateName);
        logs.Collector.GetSnapshot().Should().ContainSingle(e => e.Level == LogLevel.Warning && e.Message.Contains("not leased", StringComparison.Ordinal))
            .Which.Message.Should().Contain("InMemoryStorage").And.Contain("proxy_read_timeout").And.Contain("InactivityTimeout").And.Contain("VisibilityTimeout");
    }

    [Test]
    public void The_bound_must_be_between_1_second_and_12_hours()
        => ElasticSqsWorkerOptionsValidator.Problems(new ElasticSqsWorkerOptions { LeaseAfter = TimeSpan.FromMilliseconds(500) })
            .Should().ContainSingle().Which.Should().Contain("LeaseAfter").And.Contain("proxy_read_timeout");
}
