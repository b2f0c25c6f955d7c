using System.Net;
using Hangfire.ElasticSqs.Reliability.Tests.Support;
using Hangfire.InMemory;

namespace Hangfire.ElasticSqs.Reliability.Tests.Scenarios;

/// <summary>
/// Key rotation: messages signed with the previous key run while the worker still lists it as a verifying key; once
/// it is removed they are refused (403, not run) — and new messages signed with the current key run throughout.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class KeyRotationTests : ScenarioTest
{
    protected override string Scenario => "Key rotation";

    [Test]
    public async Task Previous_key_verifies_while_configured_and_is_refused_after_removal()
    {
        Checks = "old producer signs with k1, new one with k2; worker with {k2 signing, k1 verifying} runs both; worker with only k2 refuses k1 messages (403, not run) and runs k2 ones";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs);
        var keys = new Keys();
        var log = ExecutionLog.Create();
        using var oldProducer = new Producer(new InMemoryStorage(), sqs, queues.Prefix, keys, signWith: keys.PreviousId);
        using var newProducer = new Producer(new InMemoryStorage(), sqs, queues.Prefix, keys);

        var statuses = new List<string>();
        async Task<HttpStatusCode> DeliverNextAsync(InProcessWorker worker, string label)
        {
            var message = await SqsdRequests.ReceiveAsync(sqs, queues.Url);
            using var http = new HttpClient { BaseAddress = worker.Url };
            using var response = await http.SendAsync(SqsdRequests.Create(message.Body, SqsdRequests.Attributes(message)));
            await sqs.DeleteMessageAsync(queues.Url, message.ReceiptHandle); // handled by hand: never left for another step
            statuses.Add($"{label} {(int)response.StatusCode}");
            return response.StatusCode;
        }

        // During rotation: the worker signs with k2 and still verifies k1.
        var during = InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys) with { Keys = keys.Both };
        await using (var worker = await InProcessWorker.StartAsync(during))
        {
            oldProducer.Enqueue(log, "old-during", 0);
            (await DeliverNextAsync(worker, "k1 during")).Should().Be(HttpStatusCode.OK);
            newProducer.Enqueue(log, "new-during", 0);
            (await DeliverNextAsync(worker, "k2 during")).Should().Be(HttpStatusCode.OK);
        }

        // After rotation: k1 removed.
        var after = InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys);
        await using (var worker = await InProcessWorker.StartAsync(after))
        {
            oldProducer.Enqueue(log, "old-after", 0);
            (await DeliverNextAsync(worker, "k1 after")).Should().Be(HttpStatusCode.Forbidden);
            newProducer.Enqueue(log, "new-after", 0);
            (await DeliverNextAsync(worker, "k2 after")).Should().Be(HttpStatusCode.OK);
        }

        Numbers = string.Join(", ", statuses) + $"; runs: old-during {log.Starts("old-during")}, new-during {log.Starts("new-during")}, old-after {log.Starts("old-after")}, new-after {log.Starts("new-after")}";
        log.Starts("old-during").Should().Be(1);
        log.Starts("new-during").Should().Be(1);
        log.Starts("old-after").Should().Be(0, "a message signed with a removed key never runs");
        log.Starts("new-after").Should().Be(1);
        log.Delete();
        Passed();
    }
}
