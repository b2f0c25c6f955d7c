using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Pipeline.Leasing;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.Server;
using Hangfire.States;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Tests.Pipeline.Leasing;

/// <summary>Lease recovery against moto: jobs left Processing by dead servers are enqueued again, through SQS.</summary>
public class LeaseRecoveryTests
{
    private SqsTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartSqs() => _bed = await SqsTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopSqs() => await _bed.DisposeAsync();

    [Test]
    public async Task A_job_Processing_on_a_dead_server_is_enqueued_again_once_and_its_message_sent_while_others_are_left_alone()
    {
        await _bed.CreateQueueAsync("recovery");

        // One process stands in for the instances: the in-memory store is declared durable so that leases apply.
        var storage = _bed.CreateStorage(o => o.InnerStorageIsDurable = true);
        var client = new BackgroundJobClient(storage);
        var orphan = client.Create(() => Console.WriteLine("orphan"), new EnqueuedState("recovery"));
        var running = client.Create(() => Console.WriteLine("running"), new EnqueuedState("recovery"));
        var finished = client.Create(() => Console.WriteLine("finished"), new EnqueuedState("recovery"));
        await _bed.DrainAsync("recovery", 3);
        using (var connection = storage.GetConnection())
        {
            connection.AnnounceServer("alive:1:a", new ServerContext { Queues = ["recovery"], WorkerCount = 1 });
            connection.Heartbeat("alive:1:a");
            using var transaction = connection.CreateWriteTransaction();
            transaction.SetJobState(orphan, new ProcessingOn("killed:1:b")); // never announced, or already removed
            transaction.SetJobState(running, new ProcessingOn("alive:1:a"));
            transaction.Commit();
        }

        client.ChangeState(finished, new SucceededState(null, 1, 1));
        var recovery = new LeaseRecovery(storage, TimeSpan.FromMinutes(1));

        recovery.RecoverOnce().Should().Be(1);
        recovery.RecoverOnce().Should().Be(0, "the job is no longer Processing: it is not sent twice");

        StateOf(storage, orphan).Should().Be(EnqueuedState.StateName);
        StateOf(storage, running).Should().Be(ProcessingState.StateName, "its server is alive");
        StateOf(storage, finished).Should().Be(SucceededState.StateName);
        var sent = await _bed.DrainAsync("recovery", 1);
        sent.Select(m => m.MessageAttributes[MessageAttributeNames.JobId].StringValue).Should().Equal(orphan);
        storage.GetMonitoringApi().JobDetails(orphan).History[0].Reason.Should().Contain("killed:1:b").And.Contain("stopped sending heartbeats");
    }

    [Test]
    public void Only_a_durable_inner_storage_leases_jobs_unless_configured()
    {
        InnerStorageDurability.IsDurable(new Hangfire.InMemory.InMemoryStorage(), configured: null).Should().BeFalse();
        InnerStorageDurability.IsDurable(new Hangfire.InMemory.InMemoryStorage(), configured: true).Should().BeTrue();
        InnerStorageDurability.IsDurable(new DatabaseStorage(), configured: null).Should().BeTrue();
        InnerStorageDurability.IsDurable(new DatabaseStorage(), configured: false).Should().BeFalse();
        _bed.CreateStorage(o => o.ReceiveFromSqs = true).GetServerRequiredProcesses().OfType<LeaseRecovery>().Should().BeEmpty("an in-memory store runs no recovery");
        _bed.CreateStorage(o => (o.ReceiveFromSqs, o.InnerStorageIsDurable) = (true, true)).GetServerRequiredProcesses().OfType<LeaseRecovery>().Should().ContainSingle();
    }

    private static string? StateOf(ElasticSqsStorage storage, string jobId)
    {
        using var connection = storage.GetConnection();
        return connection.GetStateData(jobId)?.Name;
    }

    /// <summary>Stands in for Hangfire's ProcessingState, whose constructor is internal.</summary>
    private sealed class ProcessingOn(string serverId) : IState
    {
        public string Name => ProcessingState.StateName;

        public string Reason => "taken by an instance";

        public bool IsFinal => false;

        public bool IgnoreJobLoadException => false;

        public Dictionary<string, string> SerializeData() => new()
        {
            ["StartedAt"] = Hangfire.Common.JobHelper.SerializeDateTime(DateTime.UtcNow),
            ["ServerId"] = serverId,
            ["WorkerId"] = "w1",
        };
    }

    /// <summary>A storage type of no known in-memory kind (durability detection reads only the type).</summary>
    private sealed class DatabaseStorage : JobStorage
    {
        public override IMonitoringApi GetMonitoringApi() => throw new NotSupportedException();

        public override IStorageConnection GetConnection() => throw new NotSupportedException();
    }
}
