using System.Globalization;

namespace Hangfire.ElasticSqs.Pipeline;

/// <summary>
/// Refuses a verified message that cannot be a genuine delivery: older than the queue keeps any message (a captured
/// message posted again), sent in the future, or signed in the v1 format that carries no send time once its
/// deprecation window is over. Runs after the signature verified, on values the signature covers.
/// </summary>
internal static class ReplayGuard
{
    /// <summary>How far ahead of this machine's clock a sender's clock may be.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Null when the message may be delivered; otherwise why not (for the log and the DLQ).</summary>
    public static string? Refusal(int version, string? sent, DateTimeOffset now, ElasticSqsStorageOptions options)
    {
        if (version == 1)
        {
            return options.AcceptV1SignaturesUntil is { } until && now < until
                ? null
                : "signed in the v1 format (no send time, no audience), which this version refuses: send it again from an upgraded sender, or set AcceptV1SignaturesUntil while messages queued before the upgrade drain";
        }

        if (!long.TryParse(sent, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return "the signed send time (hangfire-sent) is missing or unreadable";
        }

        var sentAt = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        if (now - sentAt > options.MessageRetention)
        {
            return $"sent at {Format(sentAt)}, longer ago than MessageRetention ({options.MessageRetention}) allows any message to wait: a replayed message";
        }

        return sentAt - now > ClockSkew
            ? $"sent at {Format(sentAt)}, more than {ClockSkew.TotalMinutes:0} minutes ahead of this machine's clock ({Format(now)}): check the clocks"
            : null;
    }

    private static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
