using System.Diagnostics;
using Amazon.SQS.Model;
using Hangfire.InMemory;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>
/// <c>--profile=enqueue</c>: a Stopwatch breakdown of one caller's enqueue against the 0 ms stand-in (where the
/// transport costs least and our own cost shows), piece by piece, each timed on its own.
/// </summary>
internal static class EnqueueProfile
{
    public static async Task RunAsync(Report report, Settings settings)
    {
        Console.WriteLine("== Enqueue profile (1 caller, stand-in 0 ms), µs per operation");
        await using var standIn = await SqsStandIn.StartAsync();
        using var sqs = WorkerApp.Client(standIn.Url);
        var prefix = "p-";
        var url = (await sqs.CreateQueueAsync(prefix + "default")).QueueUrl;
        using var inner = new InMemoryStorage();
        using var plainStorage = new InMemoryStorage();
        using var storage = new ElasticSqsStorage(inner, EnqueueBenchmark.Options(prefix), sqs);
        var client = new BackgroundJobClient(storage);
        var plain = new BackgroundJobClient(plainStorage);
        var job = Common.Job.FromExpression(() => Jobs.NoOp());
        var pending = Enqueue.PendingSend.Create("1", "default", due: null);
        var payload = Enqueue.JobPayload.From(job, DateTime.UtcNow);
        var prepared = storage.Publisher.Prepare(pending, payload, 0)!;
        var body = System.Text.Encoding.UTF8.GetString(prepared.Message.Body);
        var attributes = prepared.Message.ToAttributes();
        var n = settings.Quick ? 500 : 2000;

        var pieces = new (string Name, Action Op)[]
        {
            ("raw SendMessageAsync().GetResult()", () => sqs.SendMessageAsync(new SendMessageRequest(url, body) { MessageAttributes = attributes }).GetAwaiter().GetResult()),
            ("publisher.SendAsync (batcher, lone path)", () => storage.Publisher.SendAsync(prepared, CancellationToken.None).GetAwaiter().GetResult()),
            ("outbox.SendAsync (send + clear record)", () => storage.Outbox.SendAsync([prepared], CancellationToken.None).GetAwaiter().GetResult()),
            ("publisher.Prepare (envelope, sign, size)", () => storage.Publisher.Prepare(pending, payload, 0)),
            ("Hangfire.InMemory Enqueue alone", () => plain.Enqueue(() => Jobs.NoOp())),
            ("ElasticSqs Enqueue (all of it, sends included)", () => client.Enqueue(() => Jobs.NoOp())),
        };
        const int allOfIt = 5; // its sends are awaited inside the timed part, so the row costs the whole enqueue
        // Rounds interleave the pieces (A B C … A B C …) so that tiering and the machine's noise hit them alike.
        var rounds = pieces.Select(_ => new List<double>()).ToList();
        for (var round = 0; round <= settings.Rounds; round++)
        {
            for (var p = 0; p < pieces.Length; p++)
            {
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < n; i++)
                {
                    pieces[p].Op();
                }

                if (p == allOfIt)
                {
                    storage.BackgroundSends.WaitIdle(TimeSpan.FromMinutes(1));
                }

                if (round > 0)
                {
                    rounds[p].Add(watch.Elapsed.TotalMicroseconds / n);
                }
            }
        }

        for (var p = 0; p < pieces.Length; p++)
        {
            report.Add("0 Enqueue profile", pieces[p].Name, "stand-in 0 ms", rounds[p], "µs/op", null);
        }
    }
}
