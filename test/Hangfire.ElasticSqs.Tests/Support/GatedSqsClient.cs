using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Hangfire.ElasticSqs.Tests.Support;

/// <summary>
/// An SQS client for moto whose sends wait until the test opens the gate (SQS slow to answer), or fail while
/// <see cref="Failing"/> is set (SQS refusing), so a test can see what a caller does while a send is under way.
/// </summary>
internal sealed class GatedSqsClient(Uri serviceUrl) : AmazonSQSClient(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig
{
    ServiceURL = serviceUrl.ToString(),
    AuthenticationRegion = "us-east-1",
    MaxErrorRetry = 0,
    Timeout = TimeSpan.FromSeconds(10),
})
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sendsStarted;

    /// <summary>Sends started, whether or not they got past the gate.</summary>
    public int SendsStarted => Volatile.Read(ref _sendsStarted);

    /// <summary>While true, every send fails as SQS's internal error would.</summary>
    public bool Failing { get; set; }

    /// <summary>Lets every held send, and every later one, through.</summary>
    public void Open() => _gate.TrySetResult();

    public override async Task<SendMessageResponse> SendMessageAsync(SendMessageRequest request, CancellationToken cancellationToken = default)
    {
        await PassGateAsync(cancellationToken);
        return await base.SendMessageAsync(request, cancellationToken);
    }

    public override async Task<SendMessageBatchResponse> SendMessageBatchAsync(SendMessageBatchRequest request, CancellationToken cancellationToken = default)
    {
        await PassGateAsync(cancellationToken);
        return await base.SendMessageBatchAsync(request, cancellationToken);
    }

    private async Task PassGateAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _sendsStarted);
        await _gate.Task.WaitAsync(cancellationToken);
        if (Failing)
        {
            throw new AmazonSQSException("We encountered an internal error. Please try again.", ErrorType.Receiver, "InternalError", "test", System.Net.HttpStatusCode.InternalServerError);
        }
    }
}
