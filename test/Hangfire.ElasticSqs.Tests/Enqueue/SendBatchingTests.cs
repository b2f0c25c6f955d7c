using System.Collections.Concurrent;
using System.Diagnostics;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.States;

namespace Hangfire.ElasticSqs.Tests.Enqueue;

/// <summary>Client-side batching: concurrent sends to a queue go out as SendMessageBatch, a lone send as SendMessage.</summary>
public class SendBatchingTests : MotoFixture
{
    private SqsTestBed _bed = null!;

    [SetUp]
    public void StartSqs() => _bed = SqsTestBed.On(Moto);

    [TearDown]
    public async Task StopSqs() => await _bed.DisposeAsync();

    [Test]
    public async Task Concurrent_enqueues_are_coalesced_into_batches_and_each_job_is_sent_exactly_once()
    {
        await _bed.CreateQueueAsync("default");
        using var sqs = new CountingClient(_bed.Moto.ServiceUrl) { SingleSendDelay = TimeSpan.FromMilliseconds(100) };
        var storage = _bed.CreateStorage(o => o.SendBatchLinger = TimeSpan.FromMilliseconds(20), sqs: sqs);
        var client = new BackgroundJobClient(storage);

        var ids = await OnThreads(16, caller => Enumerable.Range(0, 6).Select(i => client.Enqueue(() => TestJobs.Work((caller * 100) + i))).ToList());

        var enqueued = ids.SelectMany(x => x).ToList();
        enqueued.Should().HaveCount(96).And.OnlyHaveUniqueItems();
        var messages = await _bed.DrainAsync("default", 96);
        messages.Select(m => m.MessageAttributes[MessageAttributeNames.JobId].StringValue).Should().BeEquivalentTo(enqueued, "exactly one message per job");
        messages.Should().OnlyContain(m => SqsTestBed.Verifies(m, storage.Options.SigningKeys, TestKeys.CurrentId));
        sqs.BatchCalls.Should().BePositive("concurrent sends are coalesced");
        storage.Publisher.Batcher.BatchedEntries.Should().BeGreaterThan(sqs.BatchCalls, "a batch carries several messages");
        sqs.MaxBatchEntries.Should().BeLessThanOrEqualTo(10);
        sqs.SingleCalls.Should().BeLessThan(96);
        await storage.BackgroundSends.WhenIdleAsync();
        storage.Outbox.PendingCount().Should().Be(0, "every batched send cleared its outbox record");
    }

    [Test]
    public async Task A_lone_send_goes_out_at_once_as_a_single_SendMessage()
    {
        await _bed.CreateQueueAsync("default");
        using var sqs = new CountingClient(_bed.Moto.ServiceUrl);
        var storage = _bed.CreateStorage(o => o.SendBatchLinger = TimeSpan.FromSeconds(1), sqs: sqs);
        var client = new BackgroundJobClient(storage);
        client.Enqueue(() => TestJobs.Work(0)); // warms up: resolves the queue URL
        await storage.BackgroundSends.WhenIdleAsync();

        // One at a time: each send finds no other in flight (an enqueue does not wait for its send, so without the
        // wait these would be concurrent sends, which are coalesced).
        for (var i = 1; i <= 3; i++)
        {
            client.Enqueue(() => TestJobs.Work(i));
            await storage.BackgroundSends.WhenIdleAsync();
        }

        sqs.SingleCalls.Should().Be(4);
        sqs.BatchCalls.Should().Be(0);
        storage.Publisher.Batcher.LingerWaits.Should().Be(0, "a lone send never waits for the 1 s linger window");
        var messages = await _bed.DrainAsync("default", 4);
        messages.Should().HaveCount(4).And.OnlyContain(m => SqsTestBed.Verifies(m, storage.Options.SigningKeys, TestKeys.CurrentId));
    }

    [Test]
    public async Task Calls_in_flight_follow_demand_every_full_batch_goes_out_while_others_are_in_flight()
    {
        await _bed.CreateQueueAsync("default");
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sqs = new CountingClient(_bed.Moto.ServiceUrl) { Gate = gate.Task };
        var storage = _bed.CreateStorage(o => o.SendBatchLinger = TimeSpan.FromSeconds(1), sqs: sqs);
        var client = new BackgroundJobClient(storage);

        // Every call is held at the gate: the first send goes out alone, and the others fill batches behind it.
        var ids = Enumerable.Range(0, 101).Select(i => client.Enqueue(() => TestJobs.Work(i))).ToList();
        await Hangfire.ElasticSqs.Testing.Eventually.True(() => sqs.SingleCalls + sqs.BatchedEntries == 101, "every send handed to a call", TimeSpan.FromSeconds(30));
        var (inFlight, batchCalls) = (sqs.InFlightBatches, sqs.BatchCalls);
        gate.SetResult();
        await storage.BackgroundSends.WhenIdleAsync();

        batchCalls.Should().BeGreaterThanOrEqualTo(10, "100 sends fill at least 10 batches");
        inFlight.Should().Be(batchCalls, "no batch waited for a free slot").And.BeLessThanOrEqualTo(Hangfire.ElasticSqs.Enqueue.SendBatcher.MaxInFlightPerQueue);
        var messages = await _bed.DrainAsync("default", 101);
        messages.Select(m => m.MessageAttributes[MessageAttributeNames.JobId].StringValue).Should().BeEquivalentTo(ids, "exactly one message per job");
    }

    [Test]
    public async Task An_entry_sqs_refuses_in_a_batch_fails_only_its_own_caller()
    {
        await _bed.CreateQueueAsync("default");
        using var sqs = new CountingClient(_bed.Moto.ServiceUrl) { SingleSendDelay = TimeSpan.FromMilliseconds(300) };
        var storage = _bed.CreateStorage(
            o =>
            {
                o.SendBatchLinger = TimeSpan.FromMilliseconds(100);
                o.SendFailureMode = SendFailureMode.Throw;
            },
            sqs: sqs);
        string? poisoned = null;
        storage.Publisher.Batcher.BatchEntryInterceptor = (prepared, entry) =>
        {
            if (Interlocked.CompareExchange(ref poisoned, prepared.Message.JobId, null) is null)
            {
                entry.DelaySeconds = 901; // SQS refuses this entry alone (SenderFault), the rest of the batch goes
            }
        };
        var client = new BackgroundJobClient(storage);

        var outcomes = await EnqueueOneLeaderThenFollowers(client, sqs, 9, i => () => TestJobs.Work(i));

        poisoned.Should().NotBeNull("the followers were sent as a batch");
        var failures = outcomes.Where(o => o.Error is not null).ToList();
        failures.Should().ContainSingle();
        failures[0].Error.Should().BeOfType<BackgroundJobClientException>().Which.InnerException.Should().BeOfType<ElasticSqsSendException>()
            .Which.Message.Should().Contain(poisoned);
        var sent = outcomes.Where(o => o.JobId is not null).Select(o => o.JobId!).ToList();
        sent.Should().HaveCount(9);
        var messages = await _bed.DrainAsync("default", 9);
        messages.Select(m => m.MessageAttributes[MessageAttributeNames.JobId].StringValue).Should().BeEquivalentTo(sent);
        using var connection = storage.GetConnection();
        connection.GetStateData(poisoned).Name.Should().Be(FailedState.StateName);
    }

    [Test]
    public async Task A_batch_refused_as_a_whole_is_sent_entry_by_entry_so_only_the_oversize_job_fails()
    {
        await _bed.CreateQueueAsync("default", maximumMessageSize: 2048);
        using var sqs = new CountingClient(_bed.Moto.ServiceUrl) { SingleSendDelay = TimeSpan.FromMilliseconds(300) };
        var storage = _bed.CreateStorage(
            o =>
            {
                o.SendBatchLinger = TimeSpan.FromMilliseconds(100);
                o.SendFailureMode = SendFailureMode.Throw;
                o.MaximumMessageSize = 256 * 1024; // lets a job SQS will refuse slip past the size check
            },
            sqs: sqs);
        var client = new BackgroundJobClient(storage);
        var big = new string('x', 4000);

        var outcomes = await EnqueueOneLeaderThenFollowers(client, sqs, 9, i => i == 5 ? () => TestJobs.Carry(big) : () => TestJobs.Work(i));

        sqs.BatchCalls.Should().BePositive();
        var failures = outcomes.Where(o => o.Error is not null).ToList();
        failures.Should().ContainSingle().Which.Index.Should().Be(5);
        failures[0].Error.Should().BeOfType<BackgroundJobClientException>().Which.InnerException.Should().BeOfType<ElasticSqsSendException>();
        var sent = outcomes.Where(o => o.JobId is not null).Select(o => o.JobId!).ToList();
        sent.Should().HaveCount(9);
        var messages = await _bed.DrainAsync("default", 9);
        messages.Select(m => m.MessageAttributes[MessageAttributeNames.JobId].StringValue).Should().BeEquivalentTo(sent);
        messages.Should().OnlyContain(m => SqsTestBed.Verifies(m, storage.Options.SigningKeys, TestKeys.CurrentId));
    }

    // One enqueue first (a slow single send, so the queue has a call in flight), then the followers on threads of
    // their own: they arrive while it is in flight and are coalesced. Index 0 is the leader.
    private static async Task<List<(int Index, string? JobId, Exception? Error)>> EnqueueOneLeaderThenFollowers(
        BackgroundJobClient client, CountingClient sqs, int followers, Func<int, System.Linq.Expressions.Expression<Action>> job)
    {
        (int, string?, Exception?) Run(int index)
        {
            try
            {
                return (index, client.Enqueue(job(index)), null);
            }
            catch (Exception ex)
            {
                return (index, null, ex);
            }
        }

        var leader = Task.Factory.StartNew(() => Run(0), TaskCreationOptions.LongRunning);
        await Hangfire.ElasticSqs.Testing.Eventually.True(() => sqs.SingleCalls >= 1, "the leader's slow single send to be in flight");
        var rest = await OnThreads(followers, i => Run(i + 1));
        return [await leader, .. rest];
    }

    private static async Task<T[]> OnThreads<T>(int count, Func<int, T> body)
    {
        using var start = new Barrier(count);
        var tasks = Enumerable.Range(0, count).Select(i => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                return body(i);
            },
            TaskCreationOptions.LongRunning)).ToList();
        return await Task.WhenAll(tasks);
    }

    /// <summary>An SQS client for moto that counts calls and can slow single sends down (so that others pile up).</summary>
    private sealed class CountingClient(Uri serviceUrl) : AmazonSQSClient(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig
    {
        ServiceURL = serviceUrl.ToString(),
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = 1,
        Timeout = TimeSpan.FromSeconds(10),
    })
    {
        private int _singleCalls;
        private int _batchCalls;
        private int _inFlightBatches;
        private int _batchedEntries;
        private readonly ConcurrentBag<int> _batchSizes = [];

        public TimeSpan SingleSendDelay { get; init; }

        /// <summary>When set, every send waits for it to complete.</summary>
        public Task? Gate { get; init; }

        public int InFlightBatches => Volatile.Read(ref _inFlightBatches);

        public int BatchedEntries => Volatile.Read(ref _batchedEntries);

        public int SingleCalls => Volatile.Read(ref _singleCalls);

        public int BatchCalls => Volatile.Read(ref _batchCalls);

        public int MaxBatchEntries => _batchSizes.IsEmpty ? 0 : _batchSizes.Max();

        public override async Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _singleCalls);
            await PassGateAsync(cancellationToken);
            if (SingleSendDelay > TimeSpan.Zero)
            {
                await Task.Delay(SingleSendDelay, cancellationToken);
            }

            return await base.SendMessageAsync(request, cancellationToken);
        }

        public override async Task<SendMessageBatchResponse> SendMessageBatchAsync(SendMessageBatchRequest request, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _batchCalls);
            _batchSizes.Add(request.Entries.Count);
            request.Entries.Select(e => e.Id).Should().OnlyHaveUniqueItems("entry ids are unique within a batch");
            Interlocked.Increment(ref _inFlightBatches);
            Interlocked.Add(ref _batchedEntries, request.Entries.Count);
            try
            {
                await PassGateAsync(cancellationToken);
                return await base.SendMessageBatchAsync(request, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlightBatches);
            }
        }

        private async Task PassGateAsync(CancellationToken cancellationToken)
        {
            if (Gate is { } gate)
            {
                await gate.WaitAsync(cancellationToken);
            }
        }
    }
}
