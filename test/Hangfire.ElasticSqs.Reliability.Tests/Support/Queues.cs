using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Hangfire.ElasticSqs.Reliability.Tests.Support;

/// <summary>A worker queue with its dead-letter queue (redrive <c>maxReceiveCount</c> = sqsd's MaxRetries), as Elastic Beanstalk creates them.</summary>
public sealed record WorkerQueues(IAmazonSQS Sqs, string Prefix, string Url, string DeadLetterUrl)
{
    /// <summary>Creates <c>{prefix}{name}</c> and <c>{prefix}{name}-dlq</c>; <paramref name="visibilityTimeout"/> in seconds, SQS's 30 when null.</summary>
    public static async Task<WorkerQueues> CreateAsync(IAmazonSQS sqs, int maxRetries = 10, string? prefix = null, string name = "default", int? visibilityTimeout = null)
    {
        prefix ??= "r" + Guid.NewGuid().ToString("N")[..8] + "-";
        var dlq = (await sqs.CreateQueueAsync(prefix + name + "-dlq").ConfigureAwait(false)).QueueUrl;
        var arn = (await sqs.GetQueueAttributesAsync(dlq, ["QueueArn"]).ConfigureAwait(false)).Attributes["QueueArn"];
        var attributes = new Dictionary<string, string>
        {
            ["RedrivePolicy"] = $"{{\"deadLetterTargetArn\":\"{arn}\",\"maxReceiveCount\":\"{maxRetries.ToString(CultureInfo.InvariantCulture)}\"}}",
        };
        if (visibilityTimeout is { } seconds)
        {
            attributes["VisibilityTimeout"] = seconds.ToString(CultureInfo.InvariantCulture);
        }

        var url = (await sqs.CreateQueueAsync(new CreateQueueRequest(prefix + name) { Attributes = attributes }).ConfigureAwait(false)).QueueUrl;
        return new WorkerQueues(sqs, prefix, url, dlq);
    }

    /// <summary>One approximate count of the queue (or another queue by <paramref name="url"/>).</summary>
    public async Task<int> CountAsync(string attribute, string? url = null)
        => int.Parse((await Sqs.GetQueueAttributesAsync(url ?? Url, [attribute]).ConfigureAwait(false)).Attributes[attribute], CultureInfo.InvariantCulture);

    /// <summary>Visible + in flight + delayed messages.</summary>
    public async Task<int> DepthAsync(string? url = null)
    {
        var attributes = (await Sqs.GetQueueAttributesAsync(url ?? Url, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]).ConfigureAwait(false)).Attributes;
        return attributes.Values.Sum(v => int.Parse(v, CultureInfo.InvariantCulture));
    }

    public Task<int> DeadLetterDepthAsync() => DepthAsync(DeadLetterUrl);

    public async Task<List<Message>> PeekDeadLettersAsync()
    {
        var all = new List<Message>();
        for (var i = 0; i < 5; i++)
        {
            var received = (await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(DeadLetterUrl)
            {
                MaxNumberOfMessages = 10,
                WaitTimeSeconds = 0,
                VisibilityTimeout = 30,
                MessageAttributeNames = ["All"],
            }).ConfigureAwait(false)).Messages ?? [];
            all.AddRange(received);
            if (received.Count == 0)
            {
                break;
            }
        }

        return all;
    }
}
