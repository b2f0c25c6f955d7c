using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Lambda;

namespace Hangfire.ElasticSqs.Tests.Hosts.Lambda;

/// <summary>Lambda SQS events built from messages really received from SQS, as the event source mapping builds them.</summary>
internal static class LambdaEvents
{
    /// <summary>The event as the library's records.</summary>
    public static LambdaSqsEvent Event(IEnumerable<Message> messages, string queueArn) => new()
    {
        Records = [.. messages.Select(m => new LambdaSqsMessage
        {
            MessageId = m.MessageId,
            ReceiptHandle = m.ReceiptHandle,
            Body = m.Body,
            Attributes = m.Attributes ?? [],
            MessageAttributes = (m.MessageAttributes ?? []).ToDictionary(a => a.Key, a => new LambdaSqsMessageAttribute { StringValue = a.Value.StringValue, DataType = a.Value.DataType }),
            EventSourceArn = queueArn,
        })],
    };

    /// <summary>The event as the JSON the Lambda runtime passes, with every documented field (the handler reads only some).</summary>
    public static byte[] Json(IEnumerable<Message> messages, string queueArn)
    {
        var records = new JsonArray();
        foreach (var m in messages)
        {
            var attributes = new JsonObject();
            foreach (var (name, value) in m.Attributes ?? [])
            {
                attributes[name] = value;
            }

            var messageAttributes = new JsonObject();
            foreach (var (name, value) in m.MessageAttributes ?? [])
            {
                messageAttributes[name] = new JsonObject
                {
                    ["stringValue"] = value.StringValue,
                    ["stringListValues"] = new JsonArray(),
                    ["binaryListValues"] = new JsonArray(),
                    ["dataType"] = value.DataType,
                };
            }

            records.Add(new JsonObject
            {
                ["messageId"] = m.MessageId,
                ["receiptHandle"] = m.ReceiptHandle,
                ["body"] = m.Body,
                ["attributes"] = attributes,
                ["messageAttributes"] = messageAttributes,
                ["md5OfBody"] = m.MD5OfBody,
                ["md5OfMessageAttributes"] = m.MD5OfMessageAttributes,
                ["eventSource"] = "aws:sqs",
                ["eventSourceARN"] = queueArn,
                ["awsRegion"] = "us-east-1",
            });
        }

        return JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["Records"] = records });
    }

    /// <summary>The message ids a <c>batchItemFailures</c> response names.</summary>
    public static List<string> Failures(Stream response)
    {
        using var document = JsonDocument.Parse(response);
        return [.. document.RootElement.GetProperty("batchItemFailures").EnumerateArray().Select(f => f.GetProperty("itemIdentifier").GetString()!)];
    }
}
