using Amazon.SQS;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Testing;
using Microsoft.Extensions.Logging.Testing;

namespace Hangfire.ElasticSqs.LocalSqsd.Tests;

/// <summary>
/// A moto SQS server per fixture, a fresh queue and a fresh recording application per test, and a local
/// sqsd between them with settings that keep tests quick (1 s long polls, 1 s error visibility) while
/// leaving the receive VisibilityTimeout at its 300 s default, so any quick redelivery must come from the
/// error visibility timeout.
/// </summary>
public abstract class LocalSqsdTestBase
{
    private readonly List<IAsyncDisposable> _toDispose = [];

    protected MotoServer Moto { get; private set; } = null!;

    protected AmazonSQSClient Sqs { get; private set; } = null!;

    protected RecordingApp App { get; private set; } = null!;

    protected FakeLogger Log { get; private set; } = null!;

    /// <summary>Every formatted line the daemon logged so far (its sqsd-style log).</summary>
    protected IReadOnlyList<string> LogLines => Log.Collector.GetSnapshot().Select(record => record.Message).ToList();

    [OneTimeSetUp]
    public async Task StartMotoAsync()
    {
        Moto = await MotoServer.StartAsync();
        Sqs = Moto.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopMotoAsync()
    {
        Sqs.Dispose();
        await Moto.DisposeAsync();
    }

    [SetUp]
    public async Task StartAppAsync()
    {
        App = await RecordingApp.StartAsync();
        Log = new FakeLogger();
    }

    [TearDown]
    public async Task DisposeAsync()
    {
        // The daemon first (it may still be posting), then the application.
        foreach (var disposable in Enumerable.Reverse(_toDispose))
        {
            await disposable.DisposeAsync();
        }

        _toDispose.Clear();
        await App.DisposeAsync();
    }

    protected async Task<string> CreateQueueAsync(Dictionary<string, string>? attributes = null)
    {
        var test = TestContext.CurrentContext.Test.MethodName ?? "queue";
        var name = $"{test[..Math.Min(40, test.Length)]}-{Guid.NewGuid():N}";
        return (await Sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = Sanitize(name), Attributes = attributes })).QueueUrl;
    }

    protected LocalSqsdOptions OptionsFor(string queueUrl) => new()
    {
        WorkerQueueURL = queueUrl,
        BaseAddress = App.BaseAddress,
        ReceiveWaitTimeSeconds = 1,
        ErrorVisibilityTimeout = 1,
        BatchDeleteDelay = TimeSpan.FromMilliseconds(200),
        DrainTimeout = TimeSpan.FromSeconds(5),
    };

    protected async Task<LocalSqsd> StartSqsdAsync(LocalSqsdOptions options, TimeProvider? time = null)
    {
        var sqsd = new LocalSqsd(options, Sqs, httpClient: null, Log, time);
        _toDispose.Add(sqsd);
        await sqsd.StartAsync(CancellationToken.None);
        return sqsd;
    }

    /// <summary>Visible plus in-flight messages: zero once everything was deleted.</summary>
    protected async Task<(int Visible, int InFlight)> DepthAsync(string queueUrl)
    {
        var attributes = await Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = queueUrl,
            AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        });
        return (attributes.ApproximateNumberOfMessages, attributes.ApproximateNumberOfMessagesNotVisible);
    }

    protected Task WaitUntilEmptyAsync(string queueUrl)
        => Eventually.Until(() => DepthAsync(queueUrl), depth => depth == (0, 0), "the queue to be empty");

    protected Task<IReadOnlyList<RecordedRequest>> WaitForRequestsAsync(int count)
        => Eventually.Until(() => App.Requests, requests => requests.Count >= count, $"{count} request(s) at the application");

    private static string Sanitize(string name) => new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
}
