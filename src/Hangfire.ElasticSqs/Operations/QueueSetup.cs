using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Hangfire.ElasticSqs.Operations;

/// <summary>
/// Creates a mapped queue and its dead-letter queue, or brings existing ones to the wanted settings: the source queue's
/// visibility timeout and redrive policy, the dead-letter queue's 14-day retention. Idempotent; reports every change.
/// </summary>
internal sealed class QueueSetup
{
    /// <summary>SQS's longest retention: dead letters stay as long as possible for someone to look at them.</summary>
    public const int DeadLetterRetentionSeconds = 14 * 24 * 60 * 60;

    private readonly IAmazonSQS _sqs;
    private readonly QueueSettings _settings;

    public QueueSetup(IAmazonSQS sqs, QueueSettings settings)
    {
        _sqs = sqs;
        _settings = settings;
    }

    /// <summary>Sets up one queue pair and returns a line per queue saying what was done.</summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(QueueTarget target, CancellationToken cancellationToken)
    {
        var report = new List<string>();
        var deadLetterWanted = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MessageRetentionPeriod"] = DeadLetterRetentionSeconds.ToString(CultureInfo.InvariantCulture),
        };
        if (target.IsFifo)
        {
            deadLetterWanted["FifoQueue"] = "true";
        }

        var deadLetterUrl = await EnsureAsync(target.DeadLetterName, null, deadLetterWanted, report, cancellationToken).ConfigureAwait(false);
        var deadLetterArn = (await _sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest(deadLetterUrl, ["QueueArn"]), cancellationToken).ConfigureAwait(false)).QueueARN;

        var sourceWanted = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["VisibilityTimeout"] = _settings.VisibilityTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
            ["RedrivePolicy"] = new RedrivePolicy(deadLetterArn, _settings.MaxReceiveCount).ToJson(),
        };
        if (target.IsFifo)
        {
            sourceWanted["FifoQueue"] = "true";
        }

        await EnsureAsync(target.Name, target.IsUrl ? target.Target : null, sourceWanted, report, cancellationToken).ConfigureAwait(false);
        return report;
    }

    private async Task<string> EnsureAsync(string name, string? url, Dictionary<string, string> wanted, List<string> report, CancellationToken cancellationToken)
    {
        url ??= await TryGetUrlAsync(name, cancellationToken).ConfigureAwait(false);
        if (url is null)
        {
            url = (await _sqs.CreateQueueAsync(new CreateQueueRequest(name) { Attributes = wanted }, cancellationToken).ConfigureAwait(false)).QueueUrl;
            report.Add($"created {name} ({Describe(wanted)})");
            return url;
        }

        var current = (await _sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest(url, ["All"]), cancellationToken).ConfigureAwait(false)).Attributes ?? [];
        var changes = wanted
            .Where(w => w.Key != "FifoQueue" && !Same(w.Key, current.GetValueOrDefault(w.Key), w.Value))
            .ToDictionary(w => w.Key, w => w.Value, StringComparer.Ordinal);
        if (changes.Count == 0)
        {
            report.Add($"{name}: already up to date");
            return url;
        }

        await _sqs.SetQueueAttributesAsync(url, changes, cancellationToken).ConfigureAwait(false);
        foreach (var (attribute, value) in changes)
        {
            report.Add($"{name}: updated {attribute} ({current.GetValueOrDefault(attribute) ?? "not set"} -> {value})");
        }

        return url;
    }

    private async Task<string?> TryGetUrlAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await _sqs.GetQueueUrlAsync(name, cancellationToken).ConfigureAwait(false)).QueueUrl;
        }
        catch (QueueDoesNotExistException)
        {
            return null;
        }
    }

    private static bool Same(string attribute, string? current, string wanted)
    {
        if (current is null)
        {
            return false;
        }

        if (attribute == "RedrivePolicy")
        {
            return RedrivePolicy.Parse(current) == RedrivePolicy.Parse(wanted);
        }

        return string.Equals(current, wanted, StringComparison.Ordinal);
    }

    private static string Describe(Dictionary<string, string> attributes)
        => string.Join(", ", attributes.Where(a => a.Key != "FifoQueue").Select(a => $"{a.Key}={a.Value}"));
}

/// <summary>The settings <c>queues create</c> gives a source queue, by host unless overridden.</summary>
/// <param name="VisibilityTimeoutSeconds">How long a received message stays hidden.</param>
/// <param name="MaxReceiveCount">Deliveries before a message moves to the dead-letter queue.</param>
internal sealed record QueueSettings(int VisibilityTimeoutSeconds, int MaxReceiveCount)
{
    public const int DefaultMaxReceiveCount = 5;

    /// <summary>
    /// sqsd: Elastic Beanstalk's own default (300 s, above the default 299 s inactivity timeout). Poll mode: 60 s, as the
    /// poller keeps a running job's message hidden by extending it. Lambda: 180 s, six times a 30 s function timeout, as
    /// AWS advises for event source mappings.
    /// </summary>
    public static QueueSettings ForHost(string host) => host switch
    {
        "sqsd" => new(300, DefaultMaxReceiveCount),
        "poll" => new(60, DefaultMaxReceiveCount),
        "lambda" => new(180, DefaultMaxReceiveCount),
        _ => throw new ArgumentException($"Unknown host '{host}': use sqsd, poll or lambda."),
    };
}
