using System.Globalization;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Lambda;
using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Tests.Hosts.Polling;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.States;

namespace Hangfire.ElasticSqs.Tests.Hosts.Lambda;

/// <summary>
/// The Lambda host against a real SQS server (moto): events are built from messages received from it, and a local
/// event source mapping polls it, invokes the handler and deletes what the handler did not report as failed.
/// </summary>
public class LambdaHandlerTests
{
    private SqsTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartSqs() => _bed = await SqsTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopSqs() => await _bed.DisposeAsync();

    [Test]
    public async Task Every_demo_job_kind_runs_through_a_local_event_source_mapping()
    {
        var queue = await QueueAsync("lkinds");
        var storage = _bed.CreateStorage(o => o.Queues["default"] = queue.Url);
        using var handler = Handler(storage);
        var source = new LocalEventSource(_bed.Sqs, queue.Url, queue.Arn, handler.HandleAsync);
        var client = new BackgroundJobClient(storage);
        var id = Guid.NewGuid().ToString("N");

        var now = client.Create(() => PollJobs.Record(id + "now"), new EnqueuedState("default"));
        var later = client.Create(() => PollJobs.Record(id + "later"), new ScheduledState(TimeSpan.FromSeconds(2)));
        var retried = client.Create(() => PollJobs.FailThenSucceed(id + "retried", 2), new EnqueuedState("default"));
        var failed = client.Create(() => PollJobs.AlwaysFail(id + "failed"), new EnqueuedState("default"));
        var next = client.ContinueJobWith(now, () => PollJobs.Record(id + "next"), new EnqueuedState("default"));

        await using (Run(source))
        {
            foreach (var (job, state) in new[] { (now, "Succeeded"), (later, "Succeeded"), (retried, "Succeeded"), (failed, "Failed"), (next, "Succeeded") })
            {
                await Eventually.Until(() => StateOf(storage, job), s => s == state, $"job {job} to end {state}", TimeSpan.FromSeconds(30));
            }

            await Eventually.Until(() => CountAsync(queue.Url), n => n == 0, "every message deleted");
        }

        PollJobs.RunsOf(id + "now").Should().Be(1);
        PollJobs.RunsOf(id + "later").Should().Be(1);
        PollJobs.RunsOf(id + "retried").Should().Be(3, "two failures, each retry a delayed message of its own, then the retry that succeeds");
        PollJobs.RunsOf(id + "failed").Should().Be(1);
        PollJobs.RunsOf(id + "next").Should().Be(1);
        source.Failed.Should().BeEmpty("a failed job and a scheduled retry are completed records, never redelivered");
        (await CountAsync(queue.DeadLetters)).Should().Be(0);
        var history = storage.GetMonitoringApi().JobDetails(retried).History.Select(h => h.StateName).ToList();
        history.Count(s => s == "Processing").Should().Be(3, "Hangfire's Worker ran each attempt, and the state history has them all");
        history.Count(s => s == "Scheduled").Should().Be(2, "AutomaticRetry scheduled the two retries");
    }

    [Test]
    public async Task One_poison_record_among_nine_good_ones_is_the_only_failure_and_ends_in_the_dead_letter_queue()
    {
        var queue = await QueueAsync("lpoison", visibilityTimeout: 1, maxReceiveCount: 2);
        var storage = _bed.CreateStorage(o => o.Queues["default"] = queue.Url);
        using var handler = Handler(storage);
        var client = new BackgroundJobClient(storage);
        var key = Guid.NewGuid().ToString("N");
        var jobs = Enumerable.Range(0, 10).Select(i => client.Create(() => PollJobs.Record(key + i), new EnqueuedState("default"))).ToList();
        var sent = await _bed.DrainAsync("lpoison", 10);

        // One of the ten is altered after signing: its signature no longer verifies.
        var tampered = sent.Single(m => m.Body.Contains(key + "9", StringComparison.Ordinal));
        foreach (var message in sent)
        {
            var body = message == tampered ? message.Body.Replace(key + "9", key + "X", StringComparison.Ordinal) : message.Body;
            await _bed.Sqs.SendMessageAsync(new SendMessageRequest(queue.Url, body) { MessageAttributes = message.MessageAttributes });
        }

        var batch = await ReceiveAsync(queue.Url, 10);
        var poison = batch.Single(m => m.Body.Contains(key + "X", StringComparison.Ordinal));

        var response = await handler.HandleAsync(LambdaEvents.Event(batch, queue.Arn), TimeSpan.FromSeconds(30));

        response.BatchItemFailures.Select(f => f.ItemIdentifier).Should().Equal(poison.MessageId);
        foreach (var job in jobs.Take(9))
        {
            StateOf(storage, job).Should().Be("Succeeded");
        }

        await DeleteAsync(queue.Url, batch.Where(m => m != poison));
        var source = new LocalEventSource(_bed.Sqs, queue.Url, queue.Arn, handler.HandleAsync);
        await using (Run(source))
        {
            await Eventually.Until(() => CountAsync(queue.DeadLetters), n => n == 1, "the poison record dead-lettered by the redrive policy");
        }

        (await CountAsync(queue.Url)).Should().Be(0);
        source.Failed.Should().OnlyContain(id => id == poison.MessageId);
        PollJobs.RunsOf(key + "X").Should().Be(0);
        PollJobs.RunsOf(key + "9").Should().Be(0);
        StateOf(storage, jobs[9]).Should().Be("Enqueued", "the genuine message of that job was replaced by the altered one");
    }

    [Test]
    public async Task Records_no_worker_started_before_the_safety_margin_are_failures_and_are_not_run()
    {
        var queue = await QueueAsync("ldeadline");
        var storage = _bed.CreateStorage(o => o.Queues["default"] = queue.Url);
        using var handler = Handler(storage, workers: 1, margin: TimeSpan.FromSeconds(1));
        var client = new BackgroundJobClient(storage);
        var key = Guid.NewGuid().ToString("N");
        var holding = client.Create(() => PollJobs.Hold(key + "hold"), new EnqueuedState("default"));
        var waiting = Enumerable.Range(0, 2).Select(i => client.Create(() => PollJobs.Record(key + i), new EnqueuedState("default"))).ToList();
        var batch = await ReceiveAsync(queue.Url, 3);
        var ordered = batch.OrderBy(m => m.Body.Contains(key + "hold", StringComparison.Ordinal) ? 0 : 1).ToList();

        // The one worker runs the first record; the other two wait for it until only the margin is left of 4 s.
        var invocation = handler.HandleAsync(LambdaEvents.Event(ordered, queue.Arn), TimeSpan.FromSeconds(4));
        await Eventually.True(() => PollJobs.RunsOf(key + "hold") == 1, "the first record's job to start");
        await Eventually.True(() => storage.Deliveries.Pending().Count(d => d.IsAbandoned) == 2, "the two waiting records given up at the margin");
        PollJobs.Release(key + "hold");
        var response = await invocation;

        response.BatchItemFailures.Select(f => f.ItemIdentifier).Should().Equal(ordered[1].MessageId, ordered[2].MessageId);
        StateOf(storage, holding).Should().Be("Succeeded");
        waiting.Select(j => StateOf(storage, j)).Should().AllBe("Enqueued", "they were never started, so their messages are delivered again");
        PollJobs.RunsOf(key + "0").Should().Be(0);

        // An invocation that arrives with less than the margin left starts nothing at all.
        var late = await handler.HandleAsync(LambdaEvents.Event(ordered.Skip(1), queue.Arn), TimeSpan.FromMilliseconds(500));
        late.BatchItemFailures.Should().HaveCount(2);
        PollJobs.RunsOf(key + "0").Should().Be(0);
        PollJobs.RunsOf(key + "1").Should().Be(0);
    }

    [Test]
    public async Task A_duplicate_record_within_one_batch_fails_while_its_job_runs_and_is_skipped_when_it_comes_back()
    {
        var queue = await QueueAsync("lduplicate");
        var storage = _bed.CreateStorage(o => o.Queues["default"] = queue.Url);
        using var handler = Handler(storage);
        var key = Guid.NewGuid().ToString("N");
        var job = new BackgroundJobClient(storage).Create(() => PollJobs.Hold(key), new EnqueuedState("default"));
        var original = (await _bed.DrainAsync("lduplicate", 1)).Single();

        // SQS delivers at least once: the same message twice, here in one batch.
        for (var i = 0; i < 2; i++)
        {
            await _bed.Sqs.SendMessageAsync(new SendMessageRequest(queue.Url, original.Body) { MessageAttributes = original.MessageAttributes });
        }

        var batch = await ReceiveAsync(queue.Url, 2);
        var invocation = handler.HandleAsync(LambdaEvents.Event(batch, queue.Arn), TimeSpan.FromSeconds(30));
        await Eventually.True(() => PollJobs.RunsOf(key) == 1, "the job to start");
        PollJobs.Release(key);
        var response = await invocation;

        response.BatchItemFailures.Select(f => f.ItemIdentifier).Should().Equal(batch[1].MessageId);
        StateOf(storage, job).Should().Be("Succeeded");

        var again = await handler.HandleAsync(LambdaEvents.Event(batch.Skip(1), queue.Arn), TimeSpan.FromSeconds(30));
        again.BatchItemFailures.Should().BeEmpty("the job has succeeded: the duplicate is done with, not run");
        PollJobs.RunsOf(key).Should().Be(1);
    }

    [Test]
    public async Task Concurrent_invocations_of_two_execution_environments_on_one_postgresql_run_every_job_once()
    {
        await using var postgres = await PostgresServer.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync();
        var queue = await QueueAsync("lpostgres");
        var storages = Enumerable.Range(0, 3).Select(_ => _bed.CreateStorage(o => o.Queues["default"] = queue.Url, inner: PostgreSql(connectionString))).ToList();
        using var first = Handler(storages[0]);
        using var second = Handler(storages[1]);
        var client = new BackgroundJobClient(storages[2]);
        var key = Guid.NewGuid().ToString("N");
        var jobs = Enumerable.Range(0, 40).Select(i => client.Create(() => PollJobs.Record(key + i), new EnqueuedState("default"))).ToList();
        var sources = new[] { first, second }.Select(h => new LocalEventSource(_bed.Sqs, queue.Url, queue.Arn, h.HandleAsync)).ToList();

        await using (Run(sources[0]))
        await using (Run(sources[1]))
        {
            await Eventually.Until(() => jobs.Count(j => StateOf(storages[2], j) == "Succeeded"), n => n == jobs.Count, "all 40 jobs to succeed", TimeSpan.FromSeconds(40));
            await Eventually.Until(() => CountAsync(queue.Url), n => n == 0, "every message deleted");
        }

        Enumerable.Range(0, 40).Select(i => PollJobs.RunsOf(key + i)).Should().AllBeEquivalentTo(1);
        sources.Should().OnlyContain(s => s.Invocations > 0, "both environments were invoked");
        sources.SelectMany(s => s.Failed).Should().BeEmpty();
        using var connection = storages[2].GetConnection();
        jobs.Select(j => connection.GetStateData(j)!).Select(s => s.Name).Should().AllBe("Succeeded");
    }

    [Test]
    public async Task The_stream_handler_reads_the_documented_event_and_writes_the_documented_response()
    {
        var queue = await QueueAsync("lstream");
        var storage = _bed.CreateStorage(o => o.Queues["default"] = queue.Url);
        using var handler = Handler(storage);
        var key = Guid.NewGuid().ToString("N");
        var job = new BackgroundJobClient(storage).Create(() => PollJobs.Record(key), new EnqueuedState("default"));
        var batch = await ReceiveAsync(queue.Url, 1);
        var unsigned = new Message { MessageId = "not-a-job", ReceiptHandle = "r", Body = "{}", MessageAttributes = [], Attributes = new() { ["ApproximateReceiveCount"] = "1" } };

        using var input = new MemoryStream(LambdaEvents.Json([.. batch, unsigned], queue.Arn));
        await using var output = await handler.HandleAsync(input, TimeSpan.FromSeconds(30));
        using var reader = new StreamReader(output);

        (await reader.ReadToEndAsync()).Should().Be("{\"batchItemFailures\":[{\"itemIdentifier\":\"not-a-job\"}]}");
        StateOf(storage, job).Should().Be("Succeeded");
    }

    private static ElasticSqsLambdaHandler Handler(ElasticSqsStorage storage, int workers = 10, TimeSpan? margin = null)
        => new(storage, new ElasticSqsLambdaOptions
        {
            WorkerCount = workers,
            SafetyMargin = margin ?? TimeSpan.FromSeconds(5),

            // Other test classes' hosts set JobActivator.Current to their own (disposed) containers.
            Activator = new JobActivator(),
        });

    private static PostgreSqlStorage PostgreSql(string connectionString)
    {
        var options = new PostgreSqlStorageOptions { PrepareSchemaIfNecessary = true, QueuePollInterval = TimeSpan.FromMilliseconds(200) };
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options);
    }

    /// <summary>Runs the event source mapping until disposed.</summary>
    private static AsyncRun Run(LocalEventSource source)
    {
        var stop = new CancellationTokenSource();
        return new AsyncRun(stop, source.RunAsync(stop.Token));
    }

    private static string? StateOf(ElasticSqsStorage storage, string jobId)
    {
        using var connection = storage.GetConnection();
        return connection.GetStateData(jobId)?.Name;
    }

    /// <summary>A new SQS queue with a dead-letter queue behind its redrive policy.</summary>
    private async Task<(string Url, string Arn, string DeadLetters)> QueueAsync(string name, int visibilityTimeout = 30, int maxReceiveCount = 5)
    {
        var dlq = (await _bed.Sqs.CreateQueueAsync(_bed.Prefix + name + "-dlq")).QueueUrl;
        var dlqArn = (await _bed.Sqs.GetQueueAttributesAsync(dlq, ["QueueArn"])).QueueARN;
        var url = (await _bed.Sqs.CreateQueueAsync(new CreateQueueRequest(_bed.Prefix + name)
        {
            Attributes = new()
            {
                ["VisibilityTimeout"] = visibilityTimeout.ToString(CultureInfo.InvariantCulture),
                ["RedrivePolicy"] = $"{{\"deadLetterTargetArn\":\"{dlqArn}\",\"maxReceiveCount\":\"{maxReceiveCount}\"}}",
            },
        })).QueueUrl;
        var arn = (await _bed.Sqs.GetQueueAttributesAsync(url, ["QueueArn"])).QueueARN;
        return (url, arn, dlq);
    }

    /// <summary>Receives (without deleting) until <paramref name="count"/> messages are in hand: one batch for the handler.</summary>
    private async Task<List<Message>> ReceiveAsync(string url, int count)
    {
        var batch = new List<Message>();
        await Eventually.Until(
            async () =>
            {
                var received = await _bed.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url)
                {
                    MaxNumberOfMessages = Math.Min(10, count - batch.Count),
                    WaitTimeSeconds = 1,
                    MessageAttributeNames = ["All"],
                    MessageSystemAttributeNames = ["All"],
                });
                batch.AddRange(received.Messages ?? []);
                return batch.Count;
            },
            n => n >= count,
            $"{count} message(s) to receive");
        return batch;
    }

    private async Task DeleteAsync(string url, IEnumerable<Message> messages)
    {
        foreach (var message in messages)
        {
            await _bed.Sqs.DeleteMessageAsync(url, message.ReceiptHandle);
        }
    }

    private async Task<int> CountAsync(string url)
    {
        var attributes = (await _bed.Sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"])).Attributes;
        return new[] { "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed" }
            .Sum(name => attributes.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : 0);
    }

    private sealed class AsyncRun(CancellationTokenSource stop, Task running) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            await running;
            stop.Dispose();
        }
    }
}
