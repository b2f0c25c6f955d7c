using System.Diagnostics;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>
/// <c>--check-standin</c>: drives the stand-in's receive side with AWSSDK.SQS's real client. The SDK checks the MD5s
/// of every received body and attribute set, so a clean pass shows the replies are what SQS would send.
/// </summary>
internal static class StandInCheck
{
    private const int Count = 25;

    public static async Task<int> RunAsync()
    {
        await using var standIn = await SqsStandIn.StartAsync();
        standIn.StoreMessages = true;
        standIn.Latency = TimeSpan.FromMilliseconds(5);
        using var sqs = WorkerApp.Client(standIn.Url);
        try
        {
            await CheckAsync(standIn, sqs);
        }
        catch (Exception ex) when (ex is InvalidOperationException or AmazonSQSException)
        {
            Console.WriteLine($"FAIL: {ex.GetType().Name}: {ex.Message}");
            return 1;
        }

        Console.WriteLine("Calls by action: " + string.Join(", ", standIn.CallsByAction.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")));
        Console.WriteLine("OK");
        return 0;
    }

    private static async Task CheckAsync(SqsStandIn standIn, AmazonSQSClient sqs)
    {
        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest("check") { Attributes = new() { ["VisibilityTimeout"] = "30" } })).QueueUrl;
        Expect((await sqs.GetQueueUrlAsync("check")).QueueUrl == url, "GetQueueUrl gives CreateQueue's URL");

        // 5 single sends and 2 batches of 10, with String and Number attributes.
        var bodies = Enumerable.Range(0, Count).Select(i => $"{{\"job\":{i},\"text\":\"héllo {i}\"}}").ToList();
        for (var i = 0; i < 5; i++)
        {
            await sqs.SendMessageAsync(new SendMessageRequest(url, bodies[i]) { MessageAttributes = Attributes(i) });
        }

        for (var start = 5; start < Count; start += 10)
        {
            var batch = await sqs.SendMessageBatchAsync(new SendMessageBatchRequest(url, Enumerable.Range(start, 10)
                .Select(i => new SendMessageBatchRequestEntry("e" + i, bodies[i]) { MessageAttributes = Attributes(i) }).ToList()));
            Expect(batch.Successful.Count == 10 && (batch.Failed ?? []).Count == 0, "every batch entry accepted");
        }

        Expect(await DepthAsync(sqs, url) == (Count, 0), "25 visible after the sends");

        // Long polls of up to 10 until all 25 are in hand; the SDK validates each message's MD5s.
        var received = new List<Message>();
        while (received.Count < Count)
        {
            var messages = await ReceiveAsync(sqs, url, 10, wait: 2);
            Expect(messages.Count > 0, "a long poll on a non-empty queue returns messages");
            received.AddRange(messages);
        }

        Expect(received.Select(m => m.Body).Order(StringComparer.Ordinal).SequenceEqual(bodies.Order(StringComparer.Ordinal)), "each body received once, intact");
        Expect(received.TrueForAll(m => m.Attributes["ApproximateReceiveCount"] == "1" && m.Attributes.ContainsKey("SentTimestamp")
            && m.Attributes.ContainsKey("ApproximateFirstReceiveTimestamp") && m.MessageAttributes["Job"].StringValue == m.Body.Split(',')[0].Split(':')[1]), "system and message attributes");
        Expect(await DepthAsync(sqs, url) == (0, Count), "received messages are invisible");

        // Released early: received again, with a new receipt and a higher receive count.
        await sqs.ChangeMessageVisibilityAsync(url, received[0].ReceiptHandle, 0);
        var again = await ReceiveAsync(sqs, url, 10, wait: 1);
        Expect(again.Count == 1 && again[0].MessageId == received[0].MessageId && again[0].Attributes["ApproximateReceiveCount"] == "2", "a released message comes back");
        received[0] = again[0];
        var extended = await sqs.ChangeMessageVisibilityBatchAsync(url, received.Take(3).Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry("v" + i, m.ReceiptHandle) { VisibilityTimeout = 60 }).ToList());
        Expect(extended.Successful.Count == 3, "visibility extended in a batch");

        foreach (var chunk in received.Chunk(10))
        {
            var deleted = await sqs.DeleteMessageBatchAsync(url, chunk.Select((m, i) => new DeleteMessageBatchRequestEntry("d" + i, m.ReceiptHandle)).ToList());
            Expect(deleted.Successful.Count == chunk.Length && (deleted.Failed ?? []).Count == 0, "every delete of a batch succeeds");
        }

        Expect(await DepthAsync(sqs, url) == (0, 0), "the queue is empty after the deletes");

        // An empty queue holds a long poll for its whole wait…
        var watch = Stopwatch.StartNew();
        Expect((await ReceiveAsync(sqs, url, 10, wait: 1)).Count == 0 && watch.Elapsed >= TimeSpan.FromMilliseconds(900), "an empty long poll waits its WaitTimeSeconds");

        // …and answers as soon as a message arrives.
        watch.Restart();
        var poll = ReceiveAsync(sqs, url, 10, wait: 10);
        await Task.Delay(200);
        await sqs.SendMessageAsync(url, "late");
        var late = await poll;
        Expect(late.Count == 1 && late[0].Body == "late" && watch.Elapsed < TimeSpan.FromSeconds(3), "a long poll wakes when a message arrives");
        await sqs.DeleteMessageAsync(url, late[0].ReceiptHandle);

        // A visibility timeout that passes makes the message visible again.
        await sqs.SendMessageAsync(url, "timeout");
        var first = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { VisibilityTimeout = 1, MessageSystemAttributeNames = ["All"] });
        var second = await ReceiveAsync(sqs, url, 1, wait: 5);
        Expect(first.Messages.Count == 1 && second.Count == 1 && second[0].Attributes["ApproximateReceiveCount"] == "2", "a message whose visibility timed out is received again");
        var stale = await sqs.ChangeMessageVisibilityBatchAsync(url, [new ChangeMessageVisibilityBatchRequestEntry("s", first.Messages[0].ReceiptHandle) { VisibilityTimeout = 5 }]);
        Expect(stale.Failed?.Count == 1, "an older receipt cannot change visibility");
        await sqs.DeleteMessageAsync(url, second[0].ReceiptHandle);
        Expect(await DepthAsync(sqs, url) == (0, 0), "empty at the end");

        // The SDK does check the digests: a wrong one is refused, so the receives above were verified.
        await sqs.SendMessageAsync(url, "corrupt");
        standIn.CorruptReceivedDigests = true;
        var refused = false;
        try
        {
            await ReceiveAsync(sqs, url, 1, wait: 1);
        }
        catch (AmazonSQSException ex) when (ex.Message.Contains("MD5", StringComparison.Ordinal))
        {
            refused = true;
        }

        standIn.CorruptReceivedDigests = false;
        Expect(refused, "the SDK refuses a received body whose MD5 is wrong");
        Expect(standIn.CallsOf("ReceiveMessage") > 0 && standIn.CallsOf("DeleteMessageBatch") == 3, "calls are counted by action");
    }

    private static async Task<List<Message>> ReceiveAsync(AmazonSQSClient sqs, string url, int max, int wait)
        => (await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url)
        {
            MaxNumberOfMessages = max,
            WaitTimeSeconds = wait,
            MessageAttributeNames = ["All"],
            MessageSystemAttributeNames = ["All"],
        })).Messages ?? [];

    private static async Task<(int Visible, int NotVisible)> DepthAsync(AmazonSQSClient sqs, string url)
    {
        var attributes = (await sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes;
        return (int.Parse(attributes["ApproximateNumberOfMessages"], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(attributes["ApproximateNumberOfMessagesNotVisible"], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static Dictionary<string, MessageAttributeValue> Attributes(int i) => new()
    {
        ["Job"] = new MessageAttributeValue { DataType = "Number", StringValue = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        ["Kind"] = new MessageAttributeValue { DataType = "String", StringValue = "check-" + (i % 3) },
    };

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("stand-in check failed: " + what);
        }
    }
}
