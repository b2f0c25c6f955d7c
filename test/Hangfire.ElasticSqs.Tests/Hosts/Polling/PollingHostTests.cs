using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.InMemory;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Hangfire.ElasticSqs.Tests.Hosts.Polling;

/// <summary>Poll mode against a real SQS server (moto): the ordinary Hangfire server receives its jobs from SQS.</summary>
public class PollingHostTests
{
    private SqsTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartSqs() => _bed = await SqsTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopSqs() => await _bed.DisposeAsync();

    [Test]
    public async Task Every_kind_of_job_runs_with_hangfire_semantics()
    {
        // A scheduled job travels on the "default" queue: map it to this test's queue.
        var (storage, _) = await PollStorageAsync("kinds", map: "default");
        using var server = Server(storage, ["default"], workers: 4);
        var client = new BackgroundJobClient(storage);
        var id = Guid.NewGuid().ToString("N");

        var now = client.Create(() => PollJobs.Record(id + "now"), new EnqueuedState("default"));
        var later = client.Create(() => PollJobs.Record(id + "later"), new ScheduledState(TimeSpan.FromSeconds(2)));
        var retried = client.Create(() => PollJobs.FailThenSucceed(id + "retried", 2), new EnqueuedState("default"));
        var failed = client.Create(() => PollJobs.AlwaysFail(id + "failed"), new EnqueuedState("default"));
        var next = client.ContinueJobWith(now, () => PollJobs.Record(id + "next"), new EnqueuedState("default"));

        foreach (var (job, state) in new[] { (now, "Succeeded"), (later, "Succeeded"), (retried, "Succeeded"), (failed, "Failed"), (next, "Succeeded") })
        {
            await Eventually.Until(() => StateOf(storage, job), s => s == state, $"job {job} to end {state}", TimeSpan.FromSeconds(60));
        }

        PollJobs.RunsOf(id + "now").Should().Be(1);
        PollJobs.RunsOf(id + "later").Should().Be(1);
        PollJobs.RunsOf(id + "retried").Should().Be(3, "two failures, then the retry that succeeds");
        PollJobs.RunsOf(id + "failed").Should().Be(1);
        PollJobs.RunsOf(id + "next").Should().Be(1);
        await Eventually.Until(() => VisibleAndInFlightAsync("kinds"), n => n == 0, "every message deleted");
    }

    [Test]
    public async Task A_recurring_job_is_triggered_by_hangfires_own_scheduler()
    {
        var (storage, _) = await PollStorageAsync("recurring");
        var key = Guid.NewGuid().ToString("N");
        new RecurringJobManager(storage).AddOrUpdate("poll-recurring-" + key, "recurring", () => PollJobs.Record(key), "* * * * * *");
        using var server = Server(storage, ["recurring"], workers: 2, schedulePolling: TimeSpan.FromMilliseconds(500));

        await Eventually.True(() => PollJobs.RunsOf(key) >= 2, "two occurrences of an every-second recurring job", TimeSpan.FromSeconds(60));
    }

    [Test]
    public async Task A_job_three_times_longer_than_the_visibility_timeout_runs_once_and_its_message_never_reappears()
    {
        // maxReceiveCount 1: had the message become visible and been received again, SQS would dead-letter it.
        var (storage, dlq) = await PollStorageAsync("long", visibilityTimeout: 2, maxReceiveCount: 1);
        using var server = Server(storage, ["long"], workers: 2);
        var key = Guid.NewGuid().ToString("N");
        var job = new BackgroundJobClient(storage).Create(() => PollJobs.Hold(key), new EnqueuedState("long"));
        await Eventually.True(() => PollJobs.RunsOf(key) == 1, "the job to start");

        var held = System.Diagnostics.Stopwatch.StartNew();
        while (held.Elapsed < TimeSpan.FromSeconds(6))
        {
            var attributes = await QueueAttributesAsync("long");
            attributes["ApproximateNumberOfMessages"].Should().Be("0", "the running job's message must stay invisible");
            attributes["ApproximateNumberOfMessagesNotVisible"].Should().Be("1");
            await Task.Delay(250);
        }

        PollJobs.Release(key);
        await Eventually.Until(() => StateOf(storage, job), s => s == "Succeeded", "the long job to succeed");
        PollJobs.RunsOf(key).Should().Be(1);
        await Eventually.Until(() => VisibleAndInFlightAsync("long"), n => n == 0, "the message deleted");
        (await CountAsync(dlq)).Should().Be(0);
    }

    [Test]
    public async Task A_job_still_running_near_the_visibility_limit_goes_on_under_a_lease_and_its_message_is_deleted()
    {
        // SQS's 12-hour limit shortened to 8 s; the in-memory store is declared durable so that the lease applies.
        var durable = _bed.CreateStorage(o =>
        {
            o.ReceiveFromSqs = true;
            o.InnerStorageIsDurable = true;
        });
        durable.PollVisibilityLimit = TimeSpan.FromSeconds(8);
        var (storage, dlq) = await PollStorageAsync("leased", existing: durable, visibilityTimeout: 2, maxReceiveCount: 1);
        using var server = Server(storage, ["leased"], workers: 1);
        var key = Guid.NewGuid().ToString("N");
        var job = new BackgroundJobClient(storage).Create(() => PollJobs.Hold(key), new EnqueuedState("leased"));
        await Eventually.True(() => PollJobs.RunsOf(key) == 1, "the job to start");

        await Eventually.Until(() => VisibleAndInFlightAsync("leased"), n => n == 0, "the message deleted while the job runs", TimeSpan.FromSeconds(30));
        StateOf(storage, job).Should().Be("Processing", "the job goes on under its lease");

        PollJobs.Release(key);
        await Eventually.Until(() => StateOf(storage, job), s => s == "Succeeded", "the leased job to succeed");
        PollJobs.RunsOf(key).Should().Be(1);
        (await VisibleAndInFlightAsync("leased")).Should().Be(0);
        (await CountAsync(dlq)).Should().Be(0);
    }

    [Test]
    public async Task Hostile_messages_reach_the_dead_letter_queue_and_never_run()
    {
        var (storage, dlq) = await PollStorageAsync("hostile", visibilityTimeout: 1, maxReceiveCount: 2);
        var url = (await _bed.Sqs.GetQueueUrlAsync(_bed.Prefix + "hostile")).QueueUrl;
        var key = Guid.NewGuid().ToString("N");

        // A genuine message, captured, then altered; an unsigned one; a signed one whose job type does not exist here.
        var other = _bed.CreateStorage(o => o.Queues["hostile"] = url);
        var stolen = new BackgroundJobClient(other).Create(() => PollJobs.Record(key + "tampered"), new EnqueuedState("hostile"));
        new BackgroundJobClient(other).Create(() => PollJobs.Record(key + "unloadable"), new EnqueuedState("hostile"));
        var sent = await _bed.DrainAsync("hostile", 2);
        var captured = sent.Single(m => m.Body.Contains(key + "tampered", StringComparison.Ordinal));
        var message = sent.Single(m => m.Body.Contains(key + "unloadable", StringComparison.Ordinal));
        await _bed.Sqs.SendMessageAsync(new SendMessageRequest(url, captured.Body.Replace(key + "tampered", key + "altered", StringComparison.Ordinal)) { MessageAttributes = captured.MessageAttributes });
        await _bed.Sqs.SendMessageAsync(new SendMessageRequest(url, captured.Body.Replace(stolen, "1", StringComparison.Ordinal)));
        var body = message.Body.Replace("PollJobs", "NoSuchJobs", StringComparison.Ordinal);
        await SendResignedAsync(url, body, message);
        using var server = Server(storage, ["hostile"], workers: 2);
        var genuine = new BackgroundJobClient(storage).Create(() => PollJobs.Record(key + "genuine"), new EnqueuedState("hostile"));

        await Eventually.Until(() => StateOf(storage, genuine), s => s == "Succeeded", "the genuine job beside them to run");
        await Eventually.Until(() => CountAsync(dlq), n => n == 3, "the three hostile messages dead-lettered", TimeSpan.FromSeconds(60));
        PollJobs.RunsOf(key + "altered").Should().Be(0);
        PollJobs.RunsOf(key + "tampered").Should().Be(0);
        PollJobs.RunsOf(key + "unloadable").Should().Be(0);
    }

    [Test]
    public async Task With_a_backlog_on_both_queues_the_first_queues_jobs_start_first()
    {
        var (storage, _) = await PollStorageAsync("critical");
        await PollStorageAsync("default", storage);
        var client = new BackgroundJobClient(storage);
        var key = Guid.NewGuid().ToString("N");
        for (var i = 0; i < 5; i++)
        {
            client.Create(() => PollJobs.Record(key + "default"), new EnqueuedState("default"));
            client.Create(() => PollJobs.Record(key + "critical"), new EnqueuedState("critical"));
        }

        await Eventually.Until(() => VisibleAndInFlightAsync("default"), n => n == 5, "the default backlog on SQS");
        await Eventually.Until(() => VisibleAndInFlightAsync("critical"), n => n == 5, "the critical backlog on SQS");
        using var server = Server(storage, ["critical", "default"], workers: 1);

        await Eventually.True(() => PollJobs.Starts.Count(s => s.StartsWith(key, StringComparison.Ordinal)) == 10, "all ten jobs to run", TimeSpan.FromSeconds(60));
        var order = PollJobs.Starts.Where(s => s.StartsWith(key, StringComparison.Ordinal)).ToList();
        order.Take(5).Should().AllBe(key + "critical", "a lower queue is not received from while a higher one has a backlog");
    }

    [Test]
    public async Task A_generic_host_worker_runs_jobs_with_AddHangfireServer()
    {
        var (_, _) = await PollStorageAsync("generic");
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddHangfire(c => c.UseElasticSqsStorage(
            TestKeys.Options(o =>
            {
                o.QueueNamePrefix = _bed.Prefix;
                o.ReceiveFromSqs = true;
            }),
            new InMemoryStorage(),
            _bed.Sqs));
        builder.Services.AddHangfireServer(o => o.Queues = ["generic"]);
        using var host = builder.Build();
        await host.StartAsync();
        var storage = (ElasticSqsStorage)host.Services.GetRequiredService<JobStorage>();
        var key = Guid.NewGuid().ToString("N");

        var job = host.Services.GetRequiredService<IBackgroundJobClient>().Create(() => PollJobs.Record(key), new EnqueuedState("generic"));

        try
        {
            await Eventually.Until(() => StateOf(storage, job), s => s == "Succeeded", "the job to run in the generic host");
            await host.StopAsync();
        }
        finally
        {
            // AddHangfire pointed Hangfire's static log provider and job activator at this host's services, which die
            // with it; the other tests' servers use both.
            Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
            JobActivator.Current = new JobActivator();
        }
    }

    [Test]
    public async Task A_fifo_queue_runs_enqueued_jobs()
    {
        var url = (await _bed.Sqs.CreateQueueAsync(new CreateQueueRequest(_bed.Prefix + "fifo.fifo") { Attributes = new() { ["FifoQueue"] = "true", ["ContentBasedDeduplication"] = "true" } })).QueueUrl;
        var storage = _bed.CreateStorage(o =>
        {
            o.Queues["fifo"] = url;
            o.ReceiveFromSqs = true;
        });
        using var server = Server(storage, ["fifo"], workers: 2);
        var key = Guid.NewGuid().ToString("N");

        var job = new BackgroundJobClient(storage).Create(() => PollJobs.Record(key), new EnqueuedState("fifo"));

        await Eventually.Until(() => StateOf(storage, job), s => s == "Succeeded", "the job on the FIFO queue to run");
    }

    [Test]
    public void A_server_on_a_storage_that_cannot_receive_refuses_to_start_with_the_fix_in_its_message()
    {
        var storage = _bed.CreateStorage();

        var start = () => new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = 1 }, storage).Dispose();

        start.Should().Throw<ElasticSqsConfigurationException>()
            .WithMessage("*no way to receive jobs*ReceiveFromSqs*AddHangfireElasticSqsWorker*");
    }

    [Test]
    public void Where_cron_yaml_triggers_recurring_jobs_hangfires_scheduler_finds_none_due()
    {
        var inner = new InMemoryStorage();
        var storage = _bed.CreateStorage(inner: inner);
        new RecurringJobManager(inner).AddOrUpdate("due-now", () => PollJobs.Record("never"), "* * * * * *");
        var polling = _bed.CreateStorage(o => o.ReceiveFromSqs = true, inner: inner);

        using var connection = (JobStorageConnection)storage.GetConnection();
        using var pollingConnection = (JobStorageConnection)polling.GetConnection();
        var far = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds();

        connection.GetFirstByLowestScoreFromSet("recurring-jobs", 0, far, 10).Should().BeEmpty("sqsd's cron.yaml triggers them: the scheduler must not as well");
        connection.GetFirstByLowestScoreFromSet("recurring-jobs", 0, far).Should().BeNull();
        pollingConnection.GetFirstByLowestScoreFromSet("recurring-jobs", 0, far, 10).Should().Equal("due-now");
    }

    private static BackgroundJobServer Server(ElasticSqsStorage storage, string[] queues, int workers, TimeSpan? schedulePolling = null)
        => new(new BackgroundJobServerOptions
        {
            Queues = queues,
            WorkerCount = workers,
            SchedulePollingInterval = schedulePolling ?? TimeSpan.FromSeconds(15),
            ShutdownTimeout = TimeSpan.FromSeconds(5),

            // Other test classes' hosts set JobActivator.Current to their own (disposed) containers.
            Activator = new JobActivator(),
        }, storage);

    private static string? StateOf(ElasticSqsStorage storage, string jobId)
    {
        using var connection = storage.GetConnection();
        return connection.GetStateData(jobId)?.Name;
    }

    /// <summary>A poll-mode storage for a new SQS queue of that name (with a dead-letter queue), and the DLQ's URL.</summary>
    private async Task<(ElasticSqsStorage Storage, string DeadLetters)> PollStorageAsync(string queue, ElasticSqsStorage? existing = null, int visibilityTimeout = 30, int maxReceiveCount = 5, string? map = null)
    {
        var dlq = (await _bed.Sqs.CreateQueueAsync(_bed.Prefix + queue + "-dlq")).QueueUrl;
        var dlqArn = (await _bed.Sqs.GetQueueAttributesAsync(dlq, ["QueueArn"])).QueueARN;
        var url = (await _bed.Sqs.CreateQueueAsync(new CreateQueueRequest(_bed.Prefix + queue)
        {
            Attributes = new()
            {
                ["VisibilityTimeout"] = visibilityTimeout.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["RedrivePolicy"] = $"{{\"deadLetterTargetArn\":\"{dlqArn}\",\"maxReceiveCount\":\"{maxReceiveCount}\"}}",
            },
        })).QueueUrl;
        return (existing ?? _bed.CreateStorage(o =>
        {
            o.ReceiveFromSqs = true;
            if (map is not null)
            {
                o.Queues[map] = url;
            }
        }), dlq);
    }

    private async Task SendResignedAsync(string url, string body, Message like)
    {
        var signer = new global::Hangfire.ElasticSqs.Messages.MessageSigner(new Dictionary<string, string> { [TestKeys.CurrentId] = TestKeys.Current }, TestKeys.CurrentId);
        var attributes = like.MessageAttributes.ToDictionary(a => a.Key, a => a.Value);
        attributes[global::Hangfire.ElasticSqs.Messages.MessageAttributeNames.Signature] = new MessageAttributeValue
        {
            DataType = "String",
            StringValue = signer.Sign(System.Text.Encoding.UTF8.GetBytes(body), name => attributes.TryGetValue(name, out var v) ? v.StringValue : null),
        };
        await _bed.Sqs.SendMessageAsync(new SendMessageRequest(url, body) { MessageAttributes = attributes });
    }

    private async Task<Dictionary<string, string>> QueueAttributesAsync(string queue)
    {
        var url = (await _bed.Sqs.GetQueueUrlAsync(_bed.Prefix + queue)).QueueUrl;
        return (await _bed.Sqs.GetQueueAttributesAsync(url, ["All"])).Attributes;
    }

    private async Task<int> VisibleAndInFlightAsync(string queue)
    {
        var attributes = await QueueAttributesAsync(queue);
        return int.Parse(attributes["ApproximateNumberOfMessages"], System.Globalization.CultureInfo.InvariantCulture)
            + int.Parse(attributes["ApproximateNumberOfMessagesNotVisible"], System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<int> CountAsync(string url)
    {
        var attributes = (await _bed.Sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
        return int.Parse(attributes["ApproximateNumberOfMessages"], System.Globalization.CultureInfo.InvariantCulture)
            + int.Parse(attributes["ApproximateNumberOfMessagesNotVisible"], System.Globalization.CultureInfo.InvariantCulture);
    }
}
