using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>
/// Builds the POST sqsd sends for a received message, header by header in sqsd's order (Content-Type,
/// User-Agent, Msgid, Receive-Count, First-Received-At, Sent-At, Queue, Path, Sender-Id, then the periodic
/// task headers, then the attributes). A fresh request is built for every attempt because
/// <see cref="HttpRequestMessage"/> cannot be sent twice.
/// </summary>
internal sealed class SqsdRequestFactory(LocalSqsdOptions options, string queueName, ILogger logger)
{
    private readonly string _baseAddress = options.BaseAddress.ToString().TrimEnd('/');

    public HttpRequestMessage Create(Message message, PeriodicTaskMessage? periodicTask)
    {
        // A periodic task is POSTed to its own URL, not under HttpPath, with an empty body.
        var path = periodicTask is null ? options.HttpPath : periodicTask.Url;
        var request = new HttpRequestMessage(HttpMethod.Post, _baseAddress + EnsureLeadingSlash(path))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(periodicTask is null ? Encoding.UTF8.GetBytes(message.Body ?? string.Empty) : []),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", options.MimeType);

        var headers = request.Headers;
        headers.TryAddWithoutValidation("User-Agent", options.UserAgent);
        headers.TryAddWithoutValidation(SqsdHeaderNames.MessageId, message.MessageId ?? string.Empty);
        headers.TryAddWithoutValidation(SqsdHeaderNames.ReceiveCount, SystemAttribute(message, MessageSystemAttributeName.ApproximateReceiveCount) ?? string.Empty);
        headers.TryAddWithoutValidation(SqsdHeaderNames.FirstReceivedAt, SqsdHeaders.FromEpochMilliseconds(SystemAttribute(message, MessageSystemAttributeName.ApproximateFirstReceiveTimestamp)) ?? string.Empty);
        headers.TryAddWithoutValidation(SqsdHeaderNames.SentAt, SqsdHeaders.FromEpochMilliseconds(SystemAttribute(message, MessageSystemAttributeName.SentTimestamp)) ?? string.Empty);
        headers.TryAddWithoutValidation(SqsdHeaderNames.Queue, queueName);
        headers.TryAddWithoutValidation(SqsdHeaderNames.Path, path);
        headers.TryAddWithoutValidation(SqsdHeaderNames.SenderId, SystemAttribute(message, MessageSystemAttributeName.SenderId) ?? string.Empty);
        if (periodicTask is not null)
        {
            headers.TryAddWithoutValidation(SqsdHeaderNames.ScheduledAt, periodicTask.ScheduledAt);
            headers.TryAddWithoutValidation(SqsdHeaderNames.TaskName, periodicTask.TaskName);

            // sqsd sends periodic tasks without keep-alive, so em-http writes "Connection: close".
            headers.ConnectionClose = true;
        }

        headers.TryAddWithoutValidation(SqsdHeaders.AcceptEncoding, SqsdHeaders.AcceptEncodingValue);
        AddAttributeHeaders(headers, message);
        return request;
    }

    public string UrlFor(PeriodicTaskMessage? periodicTask)
        => _baseAddress + EnsureLeadingSlash(periodicTask is null ? options.HttpPath : periodicTask.Url);

    internal static string? SystemAttribute(Message message, string name)
        => message.Attributes is { } attributes && attributes.TryGetValue(name, out var value) ? value : null;

    private void AddAttributeHeaders(HttpRequestHeaders headers, Message message)
    {
        if (message.MessageAttributes is null)
        {
            return;
        }

        // Names differing only in case end up as one header, the last one winning, as em-http's
        // lower-casing of every key makes them collide.
        var byHeader = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, attribute) in message.MessageAttributes)
        {
            if (name.StartsWith(PeriodicTaskMessage.ReservedAttributePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var dataType = attribute.DataType ?? string.Empty;
            if (!dataType.StartsWith("String", StringComparison.Ordinal) && !dataType.StartsWith("Number", StringComparison.Ordinal))
            {
                logger.AttributeSkipped(message.MessageId, name, $"{dataType} attributes are not forwarded");
                continue;
            }

            var value = attribute.StringValue ?? string.Empty;
            if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                // .NET refuses to write a header with a line break, which could otherwise inject headers.
                logger.AttributeSkipped(message.MessageId, name, "the value contains a line break");
                continue;
            }

            byHeader[SqsdHeaders.ForAttribute(name)] = value;
        }

        foreach (var (header, value) in byHeader)
        {
            headers.TryAddWithoutValidation(header, value);
        }
    }

    private static string EnsureLeadingSlash(string path) => path.StartsWith('/') ? path : "/" + path;
}
