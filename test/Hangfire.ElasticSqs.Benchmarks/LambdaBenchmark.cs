using System.Diagnostics;
using System.Text.Json;
using Hangfire.ElasticSqs.Lambda;
using Hangfire.InMemory;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>
/// The Lambda host on InMemory against the SQS stand-in at 0 ms: handler time per record for batches of 1 and of 10
/// (the JSON event in, the batch response out, invocations one after another as in one execution environment), against
/// poll mode's cost per job measured in the same run (a poll-mode server receiving a backlog from the stand-in), and
/// cold start: the first invocation of a new handler, its Hangfire server's start included. No target is set
/// for these, so they are figures, not PASS/MISS.
/// </summary>
internal static class LambdaBenchmark
{
    private const string Name = "Lambda host, InMemory";
    private const int Workers = 10;

    public static async Task RunAsync(Report report, Settings settings)
    {
        Console.WriteLine("== Lambda host vs poll mode");
        var records = settings.Quick ? 300 : 2000;
        var warmUpRounds = 1;
        await using var standIn = await SqsStandIn.StartAsync();
        using var sqs = WorkerApp.Client(standIn.Url);

        // Cold start first: nothing of the handler has run in this process yet (with --only=lambda, nothing of Hangfire).
        var cold = new List<double>();
        for (var round = 0; round <= settings.Rounds; round++)
        {
            cold.Add(await ColdStartAsync(standIn, sqs));
        }

        var poll = new List<double>();
        var single = new List<double>();
        var tens = new List<double>();
        using (var storage = new ElasticSqsStorage(new InMemoryStorage(), Options("lambda-"), sqs))
        using (var handler = Handler(storage))
        {
            for (var round = 0; round < warmUpRounds + settings.Rounds; round++)
            {
                var pollCost = await PollModeCostAsync(standIn, sqs, records);
                var one = await PerRecordAsync(handler, await ExecutionBenchmarks.PrepareAsync(storage, standIn, records), 1);
                var ten = await PerRecordAsync(handler, await ExecutionBenchmarks.PrepareAsync(storage, standIn, records), 10);
                if (round >= warmUpRounds)
                {
                    poll.Add(pollCost);
                    single.Add(one);
                    tens.Add(ten);
                }
            }
        }

        var baseline = report.Add(Name, $"poll mode: stock BackgroundJobServer receiving a backlog of {records:N0}, {Workers} workers (cost per job)", standIn.Describe, poll, "ms/job", null, lowerIsBetter: true);
        report.Add(Name, $"Lambda handler, batches of 1, {records:N0} records in sequential invocations", standIn.Describe, single, "ms/record", baseline, "JSON event in, batch response out", lowerIsBetter: true);
        report.Add(Name, $"Lambda handler, batches of 10, {records:N0} records in sequential invocations, {Workers} workers", standIn.Describe, tens, "ms/record", baseline, "JSON event in, batch response out", lowerIsBetter: true);
        var first = report.Add(Name, "Lambda cold start: first invocation in this process (1 record), server start included", standIn.Describe, [cold[0]], "ms", null, "JIT cold for the handler's code", lowerIsBetter: true);
        report.Add(Name, "Lambda cold start: first invocation of a new handler and storage (1 record), server start included", standIn.Describe, cold.Skip(1).ToList(), "ms", first, "a new execution environment's work once the runtime's code is JIT-compiled", lowerIsBetter: true);
    }

    private static ElasticSqsStorageOptions Options(string prefix, bool poll = false)
    {
        var options = new ElasticSqsStorageOptions { ReceiveFromSqs = poll };
        WorkerApp.Options(options, prefix);
        return options;
    }

    private static ElasticSqsLambdaHandler Handler(ElasticSqsStorage storage)
        => new(storage, new ElasticSqsLambdaOptions { WorkerCount = Workers, Activator = new JobActivator() });

    /// <summary>A new storage and handler (what a new execution environment creates), then its first invocation, in ms.</summary>
    private static async Task<double> ColdStartAsync(SqsStandIn standIn, Amazon.SQS.IAmazonSQS sqs)
    {
        using var storage = new ElasticSqsStorage(new InMemoryStorage(), Options("lambda-cold-"), sqs);
        var message = (await ExecutionBenchmarks.PrepareAsync(storage, standIn, 1)).Single();
        var watch = Stopwatch.StartNew();
        using var handler = Handler(storage);
        await InvokeAsync(handler, [message]);
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>Wall time per record of invoking the handler with the messages in batches, one invocation after another.</summary>
    private static async Task<double> PerRecordAsync(ElasticSqsLambdaHandler handler, List<CapturedMessage> messages, int batchSize)
    {
        var watch = Stopwatch.StartNew();
        foreach (var batch in messages.Chunk(batchSize))
        {
            await InvokeAsync(handler, batch);
        }

        return watch.Elapsed.TotalMilliseconds / messages.Count;
    }

    private static async Task InvokeAsync(ElasticSqsLambdaHandler handler, CapturedMessage[] batch)
    {
        using var input = new MemoryStream(Event(batch));
        await using var output = await handler.HandleAsync(input, TimeSpan.FromMinutes(1));
        using var response = await JsonDocument.ParseAsync(output);
        var failures = response.RootElement.GetProperty("batchItemFailures").GetArrayLength();
        if (failures != 0)
        {
            throw new InvalidOperationException($"{failures} of {batch.Length} records failed");
        }
    }

    /// <summary>The Lambda SQS event's JSON for captured messages.</summary>
    private static byte[] Event(CapturedMessage[] batch)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("Records");
            foreach (var message in batch)
            {
                json.WriteStartObject();
                json.WriteString("messageId", Guid.NewGuid().ToString());
                json.WriteString("receiptHandle", "r");
                json.WriteString("body", message.Body);
                json.WriteStartObject("attributes");
                json.WriteString("ApproximateReceiveCount", "1");
                json.WriteEndObject();
                json.WriteStartObject("messageAttributes");
                foreach (var (name, value) in message.Attributes)
                {
                    json.WriteStartObject(name);
                    json.WriteString("stringValue", value);
                    json.WriteString("dataType", "String");
                    json.WriteEndObject();
                }

                json.WriteEndObject();
                json.WriteString("eventSource", "aws:sqs");
                json.WriteString("eventSourceARN", "arn:aws:sqs:us-east-1:000000000000:lambda-default");
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Poll mode's wall time per job: a backlog on the stand-in, received and run by a fresh server, first start to last success.</summary>
    private static async Task<double> PollModeCostAsync(SqsStandIn standIn, Amazon.SQS.IAmazonSQS sqs, int jobs)
    {
        using var storage = new ElasticSqsStorage(new InMemoryStorage(), Options("lambda-poll-", poll: true), sqs);
        standIn.StoreMessages = true;
        try
        {
            var client = new BackgroundJobClient(storage);
            for (var i = 0; i < jobs; i++)
            {
                client.Enqueue(() => Jobs.NoOp());
            }

            await storage.BackgroundSends.WhenIdleAsync();
            var timer = StateTimer.Install();
            using (new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = Workers, Activator = new JobActivator() }, storage))
            {
                await timer.WaitForAsync(jobs, TimeSpan.FromMinutes(3));
            }

            StateTimer.Install();
            return timer.Elapsed.TotalMilliseconds / jobs;
        }
        finally
        {
            standIn.StoreMessages = false;
        }
    }
}
