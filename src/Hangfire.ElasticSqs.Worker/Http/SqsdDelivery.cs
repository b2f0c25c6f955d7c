using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Hangfire.ElasticSqs.Worker.Http;

/// <summary>The sqsd headers of one delivery. Parse it only after <see cref="SqsdRequestGate"/> allowed the request.</summary>
/// <param name="MessageId">SQS MessageId (<c>X-Aws-Sqsd-Msgid</c>); the dedup key of a delivery.</param>
/// <param name="ReceiveCount">ApproximateReceiveCount; 1 when absent or unreadable.</param>
/// <param name="FirstReceivedAt">ApproximateFirstReceiveTimestamp, when present and readable.</param>
/// <param name="SentAt">SentTimestamp, when present and readable.</param>
/// <param name="QueueName">The queue's name.</param>
/// <param name="Path">The periodic task's url, or the configured HttpPath (empty in sqsd 2.0, so often null).</param>
/// <param name="SenderId">SQS SenderId.</param>
/// <param name="TaskName">The cron.yaml task name; non-null only for periodic tasks.</param>
/// <param name="ScheduledAt">The periodic task's scheduled time.</param>
/// <param name="Attributes">
/// Message attributes keyed by lower-cased name (<c>X-Aws-Sqsd-Attr-Hangfire-Job-Id</c> →
/// <c>hangfire-job-id</c>), looked up ignoring case: sqsd title-cases header names, so the sender's
/// casing is lost anyway.
/// </param>
/// <remarks>Empty header values are read as null.</remarks>
internal sealed record SqsdDelivery(
    string MessageId,
    int ReceiveCount,
    DateTimeOffset? FirstReceivedAt,
    DateTimeOffset? SentAt,
    string? QueueName,
    string? Path,
    string? SenderId,
    string? TaskName,
    DateTimeOffset? ScheduledAt,
    IReadOnlyDictionary<string, string> Attributes)
{
    /// <summary>True for a cron.yaml periodic task (it carries <c>X-Aws-Sqsd-Taskname</c>).</summary>
    public bool IsPeriodicTask => TaskName is not null;

    /// <summary>The attribute's value, or null; the name is matched ignoring case.</summary>
    /// <param name="name">Attribute name, e.g. <c>hangfire-job-id</c>.</param>
    /// <returns>The value or null.</returns>
    public string? GetAttribute(string name) => Attributes.TryGetValue(name, out var value) ? value : null;

    /// <summary>The attributes of one delivery (a handful): header names and values as received, matched by scanning.</summary>
    /// <remarks>
    /// Looked up six times per delivery (signature and its inputs, job id, retry, due), so no dictionary and no
    /// lower-cased copy of each name is built for it: <see cref="Keys"/> builds those only when asked (logs, tests).
    /// </remarks>
    private sealed class AttributeList : IReadOnlyDictionary<string, string>
    {
        public static readonly AttributeList Empty = new();

        private readonly List<KeyValuePair<string, string>> _headers = new(capacity: 4);

        public int Count => _headers.Count;

        public IEnumerable<string> Keys => _headers.Select(h => AttributeKey(h.Key));

        public IEnumerable<string> Values => _headers.Select(h => h.Value);

        public string this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"No attribute {key}.");

        /// <summary>Adds an attribute header; false when the same attribute came before with a different value.</summary>
        public bool TryAdd(string headerName, string value)
        {
            var name = headerName.AsSpan(SqsdHeaderNames.AttributePrefix.Length);
            foreach (var (existingName, existingValue) in _headers)
            {
                if (existingName.AsSpan(SqsdHeaderNames.AttributePrefix.Length).Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return string.Equals(existingValue, value, StringComparison.Ordinal);
                }
            }

            _headers.Add(new(headerName, value));
            return true;
        }

        public bool ContainsKey(string key) => TryGetValue(key, out _);

        public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
        {
            foreach (var (headerName, headerValue) in _headers)
            {
                if (headerName.AsSpan(SqsdHeaderNames.AttributePrefix.Length).Equals(key, StringComparison.OrdinalIgnoreCase))
                {
                    value = headerValue;
                    return true;
                }
            }

            value = null;
            return false;
        }

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
            => _headers.Select(h => new KeyValuePair<string, string>(AttributeKey(h.Key), h.Value)).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Reads the sqsd headers of a request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="delivery">The headers, on success.</param>
    /// <param name="error">Why not, on failure; names headers, never their values.</param>
    /// <returns>False when the message id is missing or an sqsd header is repeated with different values.</returns>
    public static bool TryParse(
        HttpRequest request, [NotNullWhen(true)] out SqsdDelivery? delivery, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(request);
        return TryParse(request.Headers, out delivery, out error);
    }

    /// <inheritdoc cref="TryParse(HttpRequest, out SqsdDelivery?, out string?)"/>
    /// <param name="headers">The request headers.</param>
    /// <param name="delivery">The headers, on success.</param>
    /// <param name="error">Why not, on failure.</param>
    public static bool TryParse(
        IHeaderDictionary headers, [NotNullWhen(true)] out SqsdDelivery? delivery, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(headers);
        delivery = null;
        string? messageId = null, receiveCount = null, firstReceivedAt = null, sentAt = null, queue = null;
        string? path = null, senderId = null, taskName = null, scheduledAt = null;
        AttributeList? attributes = null;

        // One pass over all headers instead of one lookup per name: attribute names are not known
        // in advance anyway, and a delivery has only a dozen or so headers.
        foreach (var (name, values) in headers)
        {
            if (!name.StartsWith(SqsdHeaderNames.Prefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!TryGetSingle(values, out var value))
            {
                error = $"header {LogValue.Sanitize(name)} was sent more than once with different values";
                return false;
            }

            if (name.StartsWith(SqsdHeaderNames.AttributePrefix, StringComparison.OrdinalIgnoreCase))
            {
                if (name.Length > SqsdHeaderNames.AttributePrefix.Length)
                {
                    attributes ??= new AttributeList();
                    if (!attributes.TryAdd(name, value))
                    {
                        error = $"attribute {LogValue.Sanitize(AttributeKey(name))} was sent more than once with different values";
                        return false;
                    }
                }

                continue;
            }

            // Known names differ in length (except Msgid/Queue), so one comparison per header.
            var suffix = name.AsSpan(SqsdHeaderNames.Prefix.Length);
            switch (suffix.Length)
            {
                case 5 when Is(suffix, SqsdHeaderNames.MessageId): messageId = value; break;
                case 5 when Is(suffix, SqsdHeaderNames.Queue): queue = value; break;
                case 13 when Is(suffix, SqsdHeaderNames.ReceiveCount): receiveCount = value; break;
                case 17 when Is(suffix, SqsdHeaderNames.FirstReceivedAt): firstReceivedAt = value; break;
                case 7 when Is(suffix, SqsdHeaderNames.SentAt): sentAt = value; break;
                case 4 when Is(suffix, SqsdHeaderNames.Path): path = value; break;
                case 9 when Is(suffix, SqsdHeaderNames.SenderId): senderId = value; break;
                case 8 when Is(suffix, SqsdHeaderNames.TaskName): taskName = value; break;
                case 12 when Is(suffix, SqsdHeaderNames.ScheduledAt): scheduledAt = value; break;
                default: break; // another sqsd header we do not use
            }
        }

        if (string.IsNullOrWhiteSpace(messageId))
        {
            error = $"header {SqsdHeaderNames.MessageId} is missing";
            return false;
        }

        delivery = new SqsdDelivery(
            messageId,
            ParseReceiveCount(receiveCount),
            SqsdTimestamp.Parse(firstReceivedAt),
            SqsdTimestamp.Parse(sentAt),
            NullIfEmpty(queue),
            NullIfEmpty(path),
            NullIfEmpty(senderId),
            NullIfEmpty(taskName),
            SqsdTimestamp.Parse(scheduledAt),
            attributes ?? AttributeList.Empty);
        error = null;
        return true;
    }

    private static bool Is(ReadOnlySpan<char> suffix, string header) =>
        suffix.Equals(header.AsSpan(SqsdHeaderNames.Prefix.Length), StringComparison.OrdinalIgnoreCase);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    // A repeated header with identical values is harmless (a proxy duplicating it); differing values
    // mean someone injected one, and we cannot know which is sqsd's.
    private static bool TryGetSingle(StringValues values, out string value)
    {
        value = values.Count > 0 ? values[0] ?? string.Empty : string.Empty;
        for (var i = 1; i < values.Count; i++)
        {
            if (!string.Equals(values[i], value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static int ParseReceiveCount(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 1 ? count : 1;

    // One allocation: the lower-cased name is written straight into the new string.
    private static string AttributeKey(string headerName) =>
        string.Create(
            headerName.Length - SqsdHeaderNames.AttributePrefix.Length,
            headerName,
            static (span, name) => name.AsSpan(SqsdHeaderNames.AttributePrefix.Length).ToLowerInvariant(span));
}
