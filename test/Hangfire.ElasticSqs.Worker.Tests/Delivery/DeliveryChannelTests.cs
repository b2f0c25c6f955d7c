using Hangfire.ElasticSqs.Pipeline.ChannelBridge;
using Hangfire.ElasticSqs.Storage;

namespace Hangfire.ElasticSqs.Worker.Tests.Delivery;

/// <summary>The channel bridge's hand-off (endpoint → Hangfire worker) and the fetched job's acknowledge, in isolation.</summary>
public class DeliveryChannelTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Test]
    public void Deliveries_are_taken_in_the_order_written_and_abandoned_ones_are_skipped()
    {
        var channel = new DeliveryChannel();
        var first = new JobDelivery("1", "default");
        var abandoned = new JobDelivery("2", "default");
        var third = new JobDelivery("3", "default");
        channel.Write(first);
        channel.Write(abandoned);
        channel.Write(third);
        abandoned.TryAbandon().Should().BeTrue();

        channel.Take(CancellationToken.None).Should().BeSameAs(first);
        channel.Take(CancellationToken.None).Should().BeSameAs(third);
        channel.Count.Should().Be(0);
        abandoned.TryTake().Should().BeFalse("a worker never runs a delivery the endpoint gave up on");
        first.TryAbandon().Should().BeFalse("the endpoint cannot abandon a delivery a worker has taken");
    }

    [Test]
    public async Task Abandoned_deliveries_no_worker_reached_do_not_pile_up()
    {
        // No worker running: every delivery times out and is abandoned. The next write drops them.
        var channel = new DeliveryChannel();
        for (var i = 0; i < 500; i++)
        {
            var abandoned = new JobDelivery("old" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), "default");
            channel.Write(abandoned);
            abandoned.TryAbandon().Should().BeTrue();
        }

        var live = new JobDelivery("live", "default");
        channel.Write(live);

        channel.Count.Should().Be(1);
        (await Task.Run(() => channel.Take(CancellationToken.None)).WaitAsync(Deadline)).Should().BeSameAs(live);
        channel.Count.Should().Be(0);
    }

    [Test]
    public async Task Writes_beyond_the_worker_count_never_wait()
    {
        var channel = new DeliveryChannel();
        for (var i = 0; i < 100; i++)
        {
            channel.Write(new JobDelivery(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "default"));
        }

        channel.Count.Should().Be(100);
        var taken = await Task.Run(() => channel.Take(CancellationToken.None)).WaitAsync(Deadline);
        taken.JobId.Should().Be("0");
    }

    [Test]
    public async Task A_waiting_worker_gets_the_next_write()
    {
        var channel = new DeliveryChannel();
        var worker = Task.Run(() => channel.Take(CancellationToken.None));
        var delivery = new JobDelivery("7", "default");

        channel.Write(delivery);

        (await worker.WaitAsync(Deadline)).Should().BeSameAs(delivery);
    }

    [Test]
    public async Task A_waiting_worker_stops_when_its_token_fires()
    {
        var channel = new DeliveryChannel();
        using var stopping = new CancellationTokenSource();
        var worker = Task.Run(() => channel.Take(stopping.Token));

        await stopping.CancelAsync();

        await FluentActions.Awaiting(() => worker.WaitAsync(Deadline)).Should().ThrowAsync<OperationCanceledException>();
    }

    [Test]
    public void The_transactional_acknowledge_answers_at_once()
    {
        var delivery = new JobDelivery("9", "default");
        using var storage = IdleStorage();
        var fetched = new ElasticSqsFetchedJob(storage, delivery);

        fetched.Acknowledge(); // called by the transaction right after its inner commit

        delivery.Completion.Task.IsCompletedSuccessfully.Should().BeTrue();
        delivery.Completion.Task.Result.Should().Be(DeliveryOutcome.Acknowledged);
        fetched.RemoveFromQueue(); // Hangfire's Worker calls it after the commit: nothing left to do
        delivery.Completion.Task.Result.Should().Be(DeliveryOutcome.Acknowledged);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void An_acknowledge_is_final_and_an_unacknowledged_job_is_given_back(bool acknowledged)
    {
        var delivery = new JobDelivery("9", "default");
        using var storage = IdleStorage();
        var fetched = new ElasticSqsFetchedJob(storage, delivery);
        if (acknowledged)
        {
            fetched.Acknowledge();
        }

        fetched.Requeue();
        fetched.Dispose();

        delivery.Completion.Task.Result.Should().Be(acknowledged ? DeliveryOutcome.Acknowledged : DeliveryOutcome.Requeued);
    }

    /// <summary>A storage that never reaches SQS: the fetched job only reads its telemetry switches.</summary>
    private static ElasticSqsStorage IdleStorage()
    {
        var options = new ElasticSqsStorageOptions { QueueNamePrefix = "idle-", SigningKeyId = WorkerTestHost.KeyId, EnableOutboxSweeper = false };
        options.SigningKeys[WorkerTestHost.KeyId] = WorkerTestHost.Key;
        var sqs = new Amazon.SQS.AmazonSQSClient(new Amazon.Runtime.BasicAWSCredentials("test", "test"), new Amazon.SQS.AmazonSQSConfig { ServiceURL = "http://127.0.0.1:1", AuthenticationRegion = "us-east-1" });
        return new ElasticSqsStorage(new Hangfire.InMemory.InMemoryStorage(), options, sqs);
    }
}
