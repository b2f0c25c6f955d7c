using System.Globalization;

namespace Hangfire.ElasticSqs.Enqueue;

/// <summary>
/// One message that must reach SQS: a job to deliver to a Hangfire queue now, or at <see cref="Due"/>. Stored in the
/// outbox set as <c>v1|queue|due-unix-ms|nonce|jobId</c>; the nonce keeps two sends of the same job apart.
/// </summary>
internal sealed record PendingSend(string JobId, string Queue, DateTime? Due, string Nonce)
{
    public static PendingSend Create(string jobId, string queue, DateTime? due)
        => new(jobId, queue, due, Guid.NewGuid().ToString("N")[..12]);

    public string ToOutboxValue()
    {
        var due = Due is { } d ? new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)).ToUnixTimeMilliseconds() : 0;
        return string.Create(CultureInfo.InvariantCulture, $"v1|{Queue}|{due}|{Nonce}|{JobId}");
    }

    public static bool TryParse(string value, out PendingSend send)
    {
        send = null!;
        var parts = value.Split('|', 5);
        if (parts.Length != 5 || parts[0] != "v1" || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var due))
        {
            return false;
        }

        send = new PendingSend(parts[4], parts[1], due == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(due).UtcDateTime, parts[3]);
        return true;
    }
}
