using Amazon.SQS;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Testing;
using Hangfire.InMemory;

namespace Hangfire.ElasticSqs.Tests.Support;

/// <summary>A moto SQS server, a queue per Hangfire queue under test, and storages wired to them.</summary>
internal sealed class SqsTestBed : IAsyncDisposable
{
    private readonly List<ElasticSqsStorage> _storages = [];

    private readonly bool _ownsMoto;

    private SqsTestBed(MotoServer moto, AmazonSQSClient sqs, bool ownsMoto)
    {
        Moto = moto;
        Sqs = sqs;
        _ownsMoto = ownsMoto;
    }

    public MotoServer Moto { get; }

    public AmazonSQSClient Sqs { get; }

    public string Prefix { get; } = "t" + Guid.NewGuid().ToString("N")[..8] + "-";

    public static async Task<SqsTestBed> StartAsync()
    {
        var moto = await MotoServer.StartAsync();
        return new SqsTestBed(moto, moto.CreateClient(), ownsMoto: true);
    }

    /// <summary>A test bed on a moto server shared by a test class (its queues are told apart by <see cref="Prefix"/>); the server is left running.</summary>
    public static Task<SqsTestBed> StartAsync(MotoServer moto) => Task.FromResult(new SqsTestBed(moto, moto.CreateClient(), ownsMoto: false));

    public async Task<string> CreateQueueAsync(string hangfireQueue, int? maximumMessageSize = null)
    {
        var request = new CreateQueueRequest(Prefix + hangfireQueue);
        if (maximumMessageSize is { } size)
        {
            request.Attributes = new() { ["MaximumMessageSize"] = size.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }

        return (await Sqs.CreateQueueAsync(request)).QueueUrl;
    }

    public ElasticSqsStorage CreateStorage(Action<ElasticSqsStorageOptions>? configure = null, JobStorage? inner = null, IAmazonSQS? sqs = null)
    {
        var options = TestKeys.Options(o =>
        {
            o.QueueNamePrefix = Prefix;
            configure?.Invoke(o);
        });
        var storage = new ElasticSqsStorage(inner ?? new InMemoryStorage(), options, sqs ?? Sqs);
        _storages.Add(storage);
        return storage;
    }

    /// <summary>Receives (and deletes) every message currently on a queue, waiting up to the deadline for <paramref name="expected"/>.</summary>
    public async Task<List<Message>> DrainAsync(string hangfireQueue, int expected, TimeSpan? timeout = null)
    {
        var url = (await Sqs.GetQueueUrlAsync(Prefix + hangfireQueue)).QueueUrl;
        var received = new List<Message>();
        await Eventually.Until(
            async () =>
            {
                var batch = await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url)
                {
                    MaxNumberOfMessages = 10,
                    WaitTimeSeconds = 1,
                    MessageAttributeNames = ["All"],
                    MessageSystemAttributeNames = ["All"],
                });
                foreach (var message in batch.Messages ?? [])
                {
                    received.Add(message);
                    await Sqs.DeleteMessageAsync(url, message.ReceiptHandle);
                }

                return received.Count;
            },
            count => count >= expected,
            $"{expected} message(s) on queue {hangfireQueue}",
            timeout);
        return received;
    }

    /// <summary>Whether a received message's signature verifies with the given keys.</summary>
    public static bool Verifies(Message message, IReadOnlyDictionary<string, string> keys, string signingKeyId)
    {
        var signer = new MessageSigner(keys, signingKeyId);
        var attributes = message.MessageAttributes;
        return signer.Verify(
            System.Text.Encoding.UTF8.GetBytes(message.Body),
            name => attributes.TryGetValue(name, out var value) ? value.StringValue : null,
            attributes.TryGetValue(MessageAttributeNames.Signature, out var signature) ? signature.StringValue : null);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var storage in _storages)
        {
            storage.Dispose();
        }

        Sqs.Dispose();
        if (_ownsMoto)
        {
            await Moto.DisposeAsync();
        }
    }
}
