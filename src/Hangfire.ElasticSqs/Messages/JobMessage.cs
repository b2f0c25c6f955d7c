using System.Globalization;
using Amazon.SQS.Model;

namespace Hangfire.ElasticSqs.Messages;

/// <summary>A signed job message, ready to send: body bytes plus the hangfire-* attributes.</summary>
internal sealed class JobMessage
{
    private JobMessage(string queue, byte[] body, string jobId, int retry, DateTime? due, string signature, string? traceParent)
    {
        TraceParent = traceParent;
        Queue = queue;
        Body = body;
        JobId = jobId;
        Retry = retry;
        Due = due;
        Signature = signature;
    }

    public string Queue { get; }

    public byte[] Body { get; }

    public string JobId { get; }

    public int Retry { get; }

    public DateTime? Due { get; }

    public string Signature { get; }

    /// <summary>The W3C trace context of the enqueue, carried unsigned (see <see cref="MessageAttributeNames.TraceParent"/>).</summary>
    public string? TraceParent { get; }

    public static JobMessage Create(JobEnvelope envelope, int retry, DateTime? due, MessageSigner signer, string? traceParent = null)
    {
        var body = envelope.ToUtf8();
        var retryText = retry.ToString(CultureInfo.InvariantCulture);
        var dueText = due is { } d ? FormatDue(d) : null;
        var signature = signer.Sign(body, name => name switch
        {
            MessageAttributeNames.JobId => envelope.JobId,
            MessageAttributeNames.Retry => retryText,
            MessageAttributeNames.Due => dueText,
            _ => null,
        });
        return new JobMessage(envelope.Queue, body, envelope.JobId, retry, due, signature, traceParent);
    }

    /// <summary>The due time as a Number attribute: Unix milliseconds, UTC.</summary>
    public static string FormatDue(DateTime due)
        => new DateTimeOffset(DateTime.SpecifyKind(due.ToUniversalTime(), DateTimeKind.Utc)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    public Dictionary<string, MessageAttributeValue> ToAttributes()
    {
        var attributes = new Dictionary<string, MessageAttributeValue>(5, StringComparer.Ordinal)
        {
            [MessageAttributeNames.JobId] = new() { DataType = "String", StringValue = JobId },
            [MessageAttributeNames.Retry] = new() { DataType = "Number", StringValue = Retry.ToString(CultureInfo.InvariantCulture) },
            [MessageAttributeNames.Signature] = new() { DataType = "String", StringValue = Signature },
        };
        if (Due is { } due)
        {
            attributes[MessageAttributeNames.Due] = new() { DataType = "Number", StringValue = FormatDue(due) };
        }

        if (TraceParent is { } traceParent)
        {
            attributes[MessageAttributeNames.TraceParent] = new() { DataType = "String", StringValue = traceParent };
        }

        return attributes;
    }

    /// <summary>The size SQS counts against <c>MaximumMessageSize</c>: body plus each attribute's name, type and value.</summary>
    public int SizeInBytes(IReadOnlyDictionary<string, MessageAttributeValue> attributes)
    {
        var size = Body.Length;
        foreach (var (name, value) in attributes)
        {
            size += System.Text.Encoding.UTF8.GetByteCount(name)
                    + System.Text.Encoding.UTF8.GetByteCount(value.DataType)
                    + System.Text.Encoding.UTF8.GetByteCount(value.StringValue ?? string.Empty);
        }

        return size;
    }
}
