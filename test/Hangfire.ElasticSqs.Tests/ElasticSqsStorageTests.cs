using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.InMemory;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using Newtonsoft.Json.Linq;

namespace Hangfire.ElasticSqs.Tests;

/// <summary>The enqueue path against a real SQS server (moto): what a Hangfire user's unchanged calls put on the queue.</summary>
public class ElasticSqsStorageTests
{
    private SqsTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartSqs() => _bed = await SqsTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopSqs() => await _bed.DisposeAsync();

    [Test]
    public async Task The_static_api_sends_one_signed_message_with_the_envelope_and_attributes()
    {
        await _bed.CreateQueueAsync("default");
        var storage = _bed.CreateStorage();
        GlobalConfiguration.Configuration.UseStorage(storage);

        var jobId = BackgroundJob.Enqueue(() => TestJobs.Work(42));

        var message = (await _bed.DrainAsync("default", 1)).Should().ContainSingle().Subject;
        var body = JObject.Parse(message.Body);
        body.Value<int>("v").Should().Be(1);
        body.Value<string>("jobId").Should().Be(jobId);
        body.Value<string>("queue").Should().Be("default");
        body.Value<string>("store").Should().Be(storage.StoreId);
        body["job"]!.Value<string>("Type").Should().Contain(nameof(TestJobs));
        body["job"]!.Value<string>("Method").Should().Be(nameof(TestJobs.Work));
        message.MessageAttributes[MessageAttributeNames.JobId].StringValue.Should().Be(jobId);
        message.MessageAttributes[MessageAttributeNames.Retry].StringValue.Should().Be("0");
        message.MessageAttributes[MessageAttributeNames.Retry].DataType.Should().Be("Number");
        message.MessageAttributes.Should().NotContainKey(MessageAttributeNames.Due);
        SqsTestBed.Verifies(message, storage.Options.SigningKeys, TestKeys.CurrentId).Should().BeTrue();

        using var connection = storage.GetConnection();
        connection.GetStateData(jobId).Name.Should().Be(EnqueuedState.StateName);
        await storage.BackgroundSends.WhenIdleAsync();
        storage.Outbox.PendingCount().Should().Be(0, "the outbox record is cleared once SQS accepted the message");
    }

    [Test]
    public async Task A_tampered_body_or_attribute_fails_verification()
    {
        await _bed.CreateQueueAsync("default");
        var storage = _bed.CreateStorage();
        new BackgroundJobClient(storage).Enqueue(() => TestJobs.Work(1));
        var message = (await _bed.DrainAsync("default", 1)).Single();

        message.Body = message.Body.Replace("\"queue\":\"default\"", "\"queue\":\"critical\"", StringComparison.Ordinal);
        SqsTestBed.Verifies(message, storage.Options.SigningKeys, TestKeys.CurrentId).Should().BeFalse();

        var untouched = (await SendAndDrain(storage)).Single();
        untouched.MessageAttributes[MessageAttributeNames.Retry].StringValue = "5";
        SqsTestBed.Verifies(untouched, storage.Options.SigningKeys, TestKeys.CurrentId).Should().BeFalse();
    }

    [Test]
    public async Task Dependency_injection_and_named_queues_reach_their_own_sqs_queues()
    {
        var criticalUrl = await _bed.CreateQueueAsync("critical");
        await _bed.CreateQueueAsync("reports");
        var services = new ServiceCollection()
            .Configure<ElasticSqsStorageOptions>(o =>
            {
                o.SigningKeys[TestKeys.CurrentId] = TestKeys.Current;
                o.SigningKeyId = TestKeys.CurrentId;
                o.Queues["critical"] = criticalUrl; // explicit map, by URL
                o.QueueNamePrefix = _bed.Prefix;    // convention for the rest
            })
            .AddSingleton<Amazon.SQS.IAmazonSQS>(_bed.Sqs)
            .AddHangfire((provider, c) => c.UseElasticSqsStorage(provider));
        await using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<IGlobalConfiguration>();
        var client = provider.GetRequiredService<IBackgroundJobClient>();

        var critical = client.Enqueue(() => TestJobs.Critical());
        var reports = client.Enqueue("reports", () => TestJobs.Work(2));

        (await _bed.DrainAsync("critical", 1)).Single().MessageAttributes[MessageAttributeNames.JobId].StringValue.Should().Be(critical);
        var report = (await _bed.DrainAsync("reports", 1)).Single();
        report.MessageAttributes[MessageAttributeNames.JobId].StringValue.Should().Be(reports);
        JObject.Parse(report.Body).Value<string>("queue").Should().Be("reports");
        ((ElasticSqsStorage)JobStorage.Current).Dispose();
    }

    [Test]
    public async Task Scheduled_jobs_become_delayed_messages_carrying_the_exact_due_time()
    {
        await _bed.CreateQueueAsync("default");
        var storage = _bed.CreateStorage();
        var before = DateTime.UtcNow;

        var jobId = new BackgroundJobClient(storage).Schedule(() => TestJobs.Work(3), TimeSpan.FromSeconds(2));

        using (var connection = storage.GetConnection())
        {
            var enqueueAt = DateTime.Parse(connection.GetStateData(jobId).Data["EnqueueAt"], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
            connection.GetAllItemsFromSet("schedule").Should().BeEmpty("no Hangfire DelayedJobScheduler may act on SQS-delivered jobs");
            var message = (await _bed.DrainAsync("default", 1)).Single();
            var due = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(message.MessageAttributes[MessageAttributeNames.Due].StringValue, CultureInfo.InvariantCulture)).UtcDateTime;
            due.Should().BeCloseTo(enqueueAt, TimeSpan.FromMilliseconds(1));
            DateTime.UtcNow.Should().BeOnOrAfter(before.AddSeconds(1), "SQS held the message back for its delay");
            SqsTestBed.Verifies(message, storage.Options.SigningKeys, TestKeys.CurrentId).Should().BeTrue();
        }
    }

    [Test]
    public async Task Many_concurrent_enqueues_send_exactly_one_message_per_job()
    {
        await _bed.CreateQueueAsync("default");
        var storage = _bed.CreateStorage();
        var client = new BackgroundJobClient(storage);
        var ids = new ConcurrentBag<string>();

        var producers = Enumerable.Range(0, 8).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < 10; i++)
            {
                ids.Add(client.Enqueue(() => TestJobs.Work((p * 100) + i)));
            }
        }));
        var drained = _bed.DrainAsync("default", 80, TimeSpan.FromSeconds(120));
        await Task.WhenAll(producers);
        var messages = await drained;

        var received = messages.Select(m => m.MessageAttributes[MessageAttributeNames.JobId].StringValue).ToList();
        received.Should().BeEquivalentTo(ids).And.OnlyHaveUniqueItems();
        await storage.BackgroundSends.WhenIdleAsync();
        storage.Outbox.PendingCount().Should().Be(0);
    }

    [Test]
    public async Task A_job_too_large_for_the_queue_is_refused_at_enqueue_naming_method_size_and_limit()
    {
        await _bed.CreateQueueAsync("small", maximumMessageSize: 1024);
        var storage = _bed.CreateStorage();
        var large = new string('x', 2000);

        var enqueue = () => new BackgroundJobClient(storage).Enqueue("small", () => TestJobs.Carry(large));

        var error = enqueue.Should().Throw<BackgroundJobClientException>().WithInnerException<JobTooLargeException>().Which;
        error.Message.Should().Contain("TestJobs.Carry").And.Contain("1,024 bytes");
        error.Size.Should().BeGreaterThan(2000);
        error.Limit.Should().Be(1024);
        storage.GetMonitoringApi().EnqueuedCount("small").Should().Be(0, "nothing was committed");
        storage.Outbox.PendingCount().Should().Be(0);
    }

    [Test]
    public async Task A_queue_is_listed_on_the_dashboard_from_its_first_committed_enqueue_not_from_a_refused_one()
    {
        await _bed.CreateQueueAsync("digests", maximumMessageSize: 1024);
        var inner = new InMemoryStorage();
        var storage = _bed.CreateStorage(inner: inner);
        var client = new BackgroundJobClient(storage);
        var large = new string('x', 2000);

        var refused = () => client.Enqueue("digests", () => TestJobs.Carry(large));
        refused.Should().Throw<BackgroundJobClientException>().WithInnerException<JobTooLargeException>();
        storage.GetMonitoringApi().Queues().Select(q => q.Name).Should().NotContain("digests", "nothing was committed");

        client.Enqueue("digests", () => TestJobs.Work(1));
        client.Enqueue("digests", () => TestJobs.Work(2));

        storage.GetMonitoringApi().Queues().Should().ContainSingle(q => q.Name == "digests").Which.Length.Should().Be(2);
        _bed.CreateStorage(inner: inner).GetMonitoringApi().Queues().Select(q => q.Name).Should().Contain("digests", "another process's Dashboard reads the same inner storage");
        await storage.BackgroundSends.WhenIdleAsync();
    }

    [Test]
    public void A_queue_without_a_mapping_is_refused_naming_the_queue_and_the_setting()
    {
        var storage = _bed.CreateStorage(o =>
        {
            o.QueueNamePrefix = null;
            o.Queues["default"] = "https://sqs.us-east-1.amazonaws.com/000000000000/unused";
        });

        var enqueue = () => new BackgroundJobClient(storage).Enqueue("billing", () => TestJobs.Work(1));

        enqueue.Should().Throw<BackgroundJobClientException>().WithInnerException<UnknownQueueException>()
            .WithMessage("Hangfire queue 'billing' has no SQS queue. Map it in ElasticSqsStorageOptions.Queues*QueueNamePrefix*");
    }

    [Test]
    public void A_mapped_queue_that_does_not_exist_is_refused_unless_creation_is_allowed()
    {
        var storage = _bed.CreateStorage();
        var enqueue = () => new BackgroundJobClient(storage).Enqueue("nosuchqueue", () => TestJobs.Work(1));
        enqueue.Should().Throw<BackgroundJobClientException>().WithInnerException<UnknownQueueException>()
            .WithMessage($"*maps to SQS queue '{_bed.Prefix}nosuchqueue', which does not exist*CreateMissingQueues*");

        var developer = _bed.CreateStorage(o => o.CreateMissingQueues = true);
        var id = new BackgroundJobClient(developer).Enqueue("devqueue", () => TestJobs.Work(1));
        id.Should().NotBeNullOrEmpty();
    }

    [Test]
    public async Task A_deleted_and_recreated_queue_is_resolved_again()
    {
        var url = await _bed.CreateQueueAsync("recreated");
        var storage = _bed.CreateStorage();
        var client = new BackgroundJobClient(storage);
        client.Enqueue("recreated", () => TestJobs.Work(1));
        (await _bed.DrainAsync("recreated", 1)).Should().ContainSingle();

        await _bed.Sqs.DeleteQueueAsync(url);
        await _bed.CreateQueueAsync("recreated");
        var second = client.Enqueue("recreated", () => TestJobs.Work(2));

        (await _bed.DrainAsync("recreated", 1)).Single().MessageAttributes[MessageAttributeNames.JobId].StringValue.Should().Be(second);
    }

    [Test]
    public void The_wrapper_copies_the_inner_expiration_timeout_and_answers_features()
    {
        using var inner = new InMemoryStorage();
        inner.JobExpirationTimeout = TimeSpan.FromMinutes(7);
        var storage = _bed.CreateStorage(inner: inner);

        storage.JobExpirationTimeout.Should().Be(TimeSpan.FromMinutes(7));
        storage.LinearizableReads.Should().Be(inner.LinearizableReads);
        storage.HasFeature(JobStorageFeatures.JobQueueProperty).Should().BeTrue();
        storage.HasFeature(JobStorageFeatures.Monitoring.AwaitingJobs).Should().BeTrue();
        storage.HasFeature("TransactionalAcknowledge:ElasticSqsFetchedJob").Should().BeTrue();
        storage.HasFeature("TransactionalAcknowledge:InMemoryFetchedJob").Should().BeFalse("our workers never hold the inner storage's fetched jobs");
        storage.ToString().Should().StartWith("ElasticSqs over");
    }

    private async Task<List<Amazon.SQS.Model.Message>> SendAndDrain(ElasticSqsStorage storage)
    {
        new BackgroundJobClient(storage).Enqueue(() => TestJobs.Work(Encoding.UTF8.GetByteCount("x")));
        return await _bed.DrainAsync("default", 1);
    }
}
