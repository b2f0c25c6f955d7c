using System.Net;
using Hangfire.ElasticSqs.Testing;
using Hangfire.Server;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Hangfire.ElasticSqs.Worker.Tests.Delivery;

/// <summary>A job left Processing by a server that stopped beating: held with 409 while it may be alive, rerun once it is dead.</summary>
public class DeadServerTests
{
    [Test]
    public async Task A_job_processing_on_a_silent_server_is_answered_409_until_server_timeout_then_runs_again()
    {
        await using var moto = await MotoServer.StartAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await WorkerTestHost.StartAsync(moto, time: clock, worker: o => o.ServerTimeout = TimeSpan.FromMinutes(1));
        var key = Guid.NewGuid().ToString();
        var jobId = host.Client.Enqueue<CountingJobs>(j => j.Count(key));
        var message = await host.ReceiveAsync();
        using (var connection = host.Storage.GetConnection())
        {
            // Another instance took the job and then went silent (killed): its server record and a Processing state.
            connection.AnnounceServer("killed-instance:1:abc", new ServerContext { Queues = ["default"], WorkerCount = 1 });
            connection.Heartbeat("killed-instance:1:abc");
            using var transaction = connection.CreateWriteTransaction();
            transaction.SetJobState(jobId, new ProcessingOn("killed-instance:1:abc"));
            transaction.Commit();
        }

        var attributes = message.MessageAttributes.ToDictionary(a => a.Key, a => a.Value.StringValue);
        (await host.Http.SendAsync(WorkerTestHost.SqsdRequest(message.Body, attributes))).StatusCode.Should().Be(HttpStatusCode.Conflict);
        CountingJobs.RunsOf(key).Should().Be(0, "its server may still be running it");

        clock.Advance(TimeSpan.FromMinutes(2));
        (await host.DeliverAsync(message)).StatusCode.Should().Be(HttpStatusCode.OK);
        CountingJobs.RunsOf(key).Should().Be(1, "a server silent for longer than ServerTimeout is dead: at-least-once");
        host.StateOf(jobId).Should().Be(SucceededState.StateName);
    }

    [Test]
    public void Server_timeout_must_exceed_twice_the_heartbeat_interval()
        => ElasticSqsWorkerOptionsValidator.Problems(new ElasticSqsWorkerOptions { HeartbeatInterval = TimeSpan.FromSeconds(30), ServerTimeout = TimeSpan.FromSeconds(45) })
            .Should().ContainSingle().Which.Should().Contain("ServerTimeout").And.Contain("twice HeartbeatInterval");

    /// <summary>Stands in for Hangfire's ProcessingState, whose constructor is internal.</summary>
    private sealed class ProcessingOn(string serverId) : IState
    {
        public string Name => ProcessingState.StateName;

        public string Reason => "taken by an instance that was then killed";

        public bool IsFinal => false;

        public bool IgnoreJobLoadException => false;

        public Dictionary<string, string> SerializeData() => new()
        {
            ["StartedAt"] = Hangfire.Common.JobHelper.SerializeDateTime(DateTime.UtcNow),
            ["ServerId"] = serverId,
            ["WorkerId"] = Guid.NewGuid().ToString(),
        };
    }
}
