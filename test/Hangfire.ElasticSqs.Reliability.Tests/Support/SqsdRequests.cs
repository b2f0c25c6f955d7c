using System.Globalization;
using System.Net;
using Amazon.SQS;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Reliability.Tests.Support;

/// <summary>Requests built exactly the way sqsd sends them (title-cased attribute headers), for hand-made deliveries.</summary>
public static class SqsdRequests
{
    public static HttpRequestMessage Create(byte[] body, IReadOnlyDictionary<string, string> attributes, string path = "/", int receiveCount = 1, string? userAgent = "aws-sqsd/3.0.4")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        request.Headers.Remove("User-Agent");
        if (userAgent is not null)
        {
            request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        }

        request.Headers.Add("X-Aws-Sqsd-Msgid", Guid.NewGuid().ToString());
        request.Headers.Add("X-Aws-Sqsd-Receive-Count", receiveCount.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-Aws-Sqsd-Queue", "awseb-e-test-stack-AWSEBWorkerQueue-1");
        foreach (var (name, value) in attributes)
        {
            request.Headers.TryAddWithoutValidation("X-Aws-Sqsd-Attr-" + TitleCase(name), value);
        }

        return request;
    }

    public static HttpRequestMessage Create(string body, IReadOnlyDictionary<string, string> attributes, int receiveCount = 1)
        => Create(System.Text.Encoding.UTF8.GetBytes(body), attributes, receiveCount: receiveCount);

    public static HttpRequestMessage PeriodicTask(string taskName)
        => PeriodicTask(taskName, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:00Z", CultureInfo.InvariantCulture));

    /// <summary>A periodic task with the given Scheduled-At (null: none), to the given path.</summary>
    public static HttpRequestMessage PeriodicTask(string taskName, string? scheduledAt, string path = "/periodic-tasks")
    {
        var request = Create([], new Dictionary<string, string>(), path: path);
        request.Headers.TryAddWithoutValidation("X-Aws-Sqsd-Taskname", taskName);
        if (scheduledAt is not null)
        {
            request.Headers.Add("X-Aws-Sqsd-Scheduled-At", scheduledAt);
        }

        request.Headers.Add("X-Aws-Sqsd-Path", "/periodic-tasks");
        request.Headers.ConnectionClose = true;
        return request;
    }

    public static Dictionary<string, string> Attributes(Message message)
        => message.MessageAttributes.ToDictionary(a => a.Key, a => a.Value.StringValue, StringComparer.Ordinal);

    /// <summary>Receives the next message (without deleting it), as sqsd would.</summary>
    public static async Task<Message> ReceiveAsync(IAmazonSQS sqs, string queueUrl, int visibilityTimeout = 120)
    {
        var messages = await Eventually.Until(
            async () => (await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(queueUrl)
            {
                MaxNumberOfMessages = 1,
                WaitTimeSeconds = 1,
                VisibilityTimeout = visibilityTimeout,
                MessageAttributeNames = ["All"],
            }).ConfigureAwait(false)).Messages ?? [],
            m => m.Count > 0,
            "a message on the queue").ConfigureAwait(false);
        return messages[0];
    }

    public static string? NonLoopbackAddress()
        => System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))?.ToString();

    private static string TitleCase(string name)
        => string.Join('-', name.Split('-').Select(part => part.Length == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..].ToLowerInvariant()));
}
