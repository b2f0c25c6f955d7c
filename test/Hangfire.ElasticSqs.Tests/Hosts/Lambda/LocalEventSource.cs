using System.Collections.Concurrent;
using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Hangfire.ElasticSqs.Tests.Hosts.Lambda;

/// <summary>
/// What an SQS event source mapping with <c>ReportBatchItemFailures</c> does, locally: receive a batch of up to
/// <see cref="BatchSize"/>, invoke the function with it as JSON, delete the records it did not name as failures, and
/// leave the failed ones to become visible again at the queue's visibility timeout (and, past the redrive policy's
/// receive count, to move to the dead-letter queue).
/// </summary>
internal sealed class LocalEventSource
{
    private readonly IAmazonSQS _sqs;
    private readonly string _queueUrl;
    private readonly string _queueArn;
    private readonly Func<Stream, TimeSpan, Task<Stream>> _function;
    private int _invocations;

    public LocalEventSource(IAmazonSQS sqs, string queueUrl, string queueArn, Func<Stream, TimeSpan, Task<Stream>> function)
    {
        _sqs = sqs;
        _queueUrl = queueUrl;
        _queueArn = queueArn;
        _function = function;
    }

    public int BatchSize { get; init; } = 10;

    public TimeSpan FunctionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public int Invocations => Volatile.Read(ref _invocations);

    /// <summary>Message ids the function reported as failures, once per report.</summary>
    public ConcurrentQueue<string> Failed { get; } = new();

    /// <summary>One poll: receives a batch (waiting up to a second) and, when it is not empty, invokes the function with it.</summary>
    public async Task<int> PollOnceAsync(CancellationToken cancellationToken = default)
    {
        var received = await _sqs.ReceiveMessageAsync(
            new ReceiveMessageRequest(_queueUrl)
            {
                MaxNumberOfMessages = BatchSize,
                WaitTimeSeconds = 1,
                MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = ["All"],
            },
            cancellationToken);
        var messages = received.Messages ?? [];
        if (messages.Count == 0)
        {
            return 0;
        }

        Interlocked.Increment(ref _invocations);
        using var input = new MemoryStream(LambdaEvents.Json(messages, _queueArn));
        var output = await _function(input, FunctionTimeout);
        List<string> failed;
        await using (output)
        {
            failed = LambdaEvents.Failures(output);
        }

        foreach (var id in failed)
        {
            Failed.Enqueue(id);
        }

        var done = messages.Where(m => !failed.Contains(m.MessageId)).ToList();
        if (done.Count > 0)
        {
            await _sqs.DeleteMessageBatchAsync(
                new DeleteMessageBatchRequest(_queueUrl, [.. done.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle))]),
                CancellationToken.None);
        }

        return messages.Count;
    }

    /// <summary>Polls until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await PollOnceAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
