using System.Globalization;
using System.Text;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Reliability.Tests.Support;
using Hangfire.ElasticSqs.Testing;
using Hangfire.InMemory;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Reliability.Tests.Scenarios;

/// <summary>
/// Poison messages: a validly signed job whose type cannot be loaded (500 each time), and a validly signed message
/// that always gets a non-200 (400, envelope and job-id attribute disagree), move to the dead-letter queue after
/// MaxRetries receives (the queue's redrive policy), while ordinary jobs delivered alongside succeed once each.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PoisonMessageTests : ScenarioTest
{
    private const int MaxRetries = 3;

    protected override string Scenario => "Poison message";

    [Test]
    public async Task Unloadable_and_always_failing_messages_reach_the_dead_letter_queue_and_nothing_else_is_disturbed()
    {
        const int ordinary = 10;
        Checks = $"signed message naming a missing type (another store, import fails), signed message always answered 400, {ordinary} ordinary jobs, local sqsd, redrive MaxRetries={MaxRetries}: both poison messages in DLQ, ordinary jobs Succeeded once, main queue empty";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs, MaxRetries);
        var keys = new Keys();
        var log = ExecutionLog.Create();
        await using var proxy = await ReverseProxy.StartAsync(TimeSpan.FromSeconds(60));
        await using var worker = await InProcessWorker.StartAsync(InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys));
        proxy.SetUpstreams(worker.Url);
        using var producer = new Producer(new InMemoryStorage(), sqs, queues.Prefix, keys);

        // 1. A job from another store naming a type that does not exist, signed with the real key.
        var missingType = new InvocationData("Nope.MissingJobType, Nope.Missing.Assembly", "Run", "[]", "[]").SerializePayload(excludeArguments: false);
        var unloadable = new JobEnvelope("poison-type", "default", missingType, DateTime.UtcNow, "some-other-store");
        var unloadableMessage = JobMessage.Create(unloadable, 0, null, producer.Storage.Signer);
        await sqs.SendMessageAsync(new SendMessageRequest(queues.Url, Encoding.UTF8.GetString(unloadableMessage.Body)) { MessageAttributes = unloadableMessage.ToAttributes() });

        // 2. Signed with the real key, but its job-id attribute disagrees with the envelope: 400 every time.
        var valid = new JobEnvelope("poison-400", "default", missingType, DateTime.UtcNow, "some-other-store");
        var body = valid.ToUtf8();
        var attributes = new Dictionary<string, string>
        {
            [MessageAttributeNames.JobId] = "not-poison-400",
            [MessageAttributeNames.Retry] = "0",
            [MessageAttributeNames.Sent] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        };
        attributes[MessageAttributeNames.Signature] = producer.Storage.Signer.Sign(body, n => attributes.GetValueOrDefault(n));
        await sqs.SendMessageAsync(new SendMessageRequest(queues.Url, Encoding.UTF8.GetString(body))
        {
            MessageAttributes = attributes.ToDictionary(a => a.Key, a => new MessageAttributeValue { DataType = a.Key is MessageAttributeNames.Retry or MessageAttributeNames.Sent ? "Number" : "String", StringValue = a.Value }),
        });

        // 3. Ordinary jobs alongside.
        for (var i = 0; i < ordinary; i++)
        {
            producer.Enqueue(log, "ordinary-" + i.ToString(CultureInfo.InvariantCulture), 0);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using (var sqsd = await Sqsd.StartAsync(sqs, queues.Url, proxy.Url, connections: 10, visibilityTimeout: 30, errorVisibilityTimeout: 1))
        {
            await Eventually.True(() => queues.DeadLetterDepthAsync().GetAwaiter().GetResult() == 2, "both poison messages in the dead-letter queue", TimeSpan.FromSeconds(90));
            await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the main queue to be empty", TimeSpan.FromSeconds(30));
        }

        var dead = await queues.PeekDeadLettersAsync();
        var deadIds = dead.Select(m => JobEnvelope.Parse(Encoding.UTF8.GetBytes(m.Body)).JobId).Order(StringComparer.Ordinal).ToList();
        var runs = Enumerable.Range(0, ordinary).Select(i => log.Starts("ordinary-" + i.ToString(CultureInfo.InvariantCulture))).ToList();
        var stats = worker.Storage.InnerStorage.GetMonitoringApi().GetStatistics();
        Numbers = $"DLQ after {clock.Elapsed.TotalSeconds:0.0} s: [{string.Join(", ", deadIds)}]; sqsd answered {proxy.Describe()}; ordinary runs {runs.Sum()}/{ordinary} (max {runs.Max()}), worker Succeeded {stats.Succeeded}, Failed {stats.Failed}";

        deadIds.Should().Equal("poison-400", "poison-type");
        proxy.Count(500).Should().Be(MaxRetries, "the unloadable job is answered 500 on each of its receives");
        proxy.Count(400).Should().Be(MaxRetries, "the inconsistent message is answered 400 on each of its receives");
        runs.Should().AllSatisfy(r => r.Should().Be(1));
        stats.Succeeded.Should().Be(ordinary);
        stats.Failed.Should().Be(0);
        log.Delete();
        Passed();
    }
}
