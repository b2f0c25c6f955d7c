using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.Configuration;

/// <summary>
/// The one rule set for <see cref="ElasticSqsStorageOptions"/>, reporting every problem at once, each with its fix.
/// Options bound through dependency injection are checked at start-up (<c>ValidateOnStart</c>); the storage
/// constructor applies the same rules, so code without a container gets the same complete error.
/// </summary>
internal sealed partial class ElasticSqsOptionsValidator : IValidateOptions<ElasticSqsStorageOptions>
{
    public const int MinimumKeyBytes = 32;

    /// <inheritdoc />
    ValidateOptionsResult IValidateOptions<ElasticSqsStorageOptions>.Validate(string? name, ElasticSqsStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Validate(options) is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }

    public static IReadOnlyList<string> Validate(ElasticSqsStorageOptions options)
    {
        var problems = new List<string>();
        ValidateQueues(options, problems);
        ValidateKeys(options, problems);

        if (options.OutboxSweepInterval <= TimeSpan.Zero)
        {
            problems.Add($"OutboxSweepInterval must be positive (it is {options.OutboxSweepInterval}).");
        }

        if (options.OutboxResendAfter <= TimeSpan.Zero)
        {
            problems.Add($"OutboxResendAfter must be positive (it is {options.OutboxResendAfter}).");
        }

        if (options.SendBatchLinger < TimeSpan.Zero || options.SendBatchLinger > TimeSpan.FromSeconds(1))
        {
            problems.Add($"SendBatchLinger must be between zero (no wait) and 1 second (it is {options.SendBatchLinger}).");
        }

        if (options.MaximumMessageSize is { } size && size is < 1024 or > ElasticSqsStorageOptions.SqsHardMessageSizeLimit)
        {
            problems.Add($"MaximumMessageSize must be between 1,024 and 1,048,576 bytes, as SQS allows (it is {size:N0}); or leave it unset to read each queue's limit.");
        }

        if (options.MessageRetention < TimeSpan.FromMinutes(1) || options.MessageRetention > TimeSpan.FromDays(14))
        {
            problems.Add($"MessageRetention must be between 1 minute and 14 days, as SQS allows (it is {options.MessageRetention}); set it to the queues' MessageRetentionPeriod.");
        }

        if (options.SigningAudience is { } audience && (audience.Length is 0 or > 256 || audience.Any(char.IsControl)))
        {
            problems.Add("SigningAudience must be 1 to 256 characters without control characters (for example the application's name and environment), or unset.");
        }

        foreach (var entry in options.AllowedJobTypes)
        {
            if (!Pipeline.JobTypeAllowList.IsValidEntry(entry))
            {
                problems.Add($"AllowedJobTypes has '{entry}': list a type's full name (MyApp.Jobs.ReportJob) or a namespace followed by '.*' (MyApp.Jobs.*).");
            }
        }

        if (!Enum.IsDefined(options.SendFailureMode))
        {
            problems.Add($"SendFailureMode '{options.SendFailureMode}' is not one of KeepPending, Throw.");
        }

        return problems;
    }

    public static void ThrowIfInvalid(ElasticSqsStorageOptions options)
    {
        var problems = Validate(options);
        if (problems.Count > 0)
        {
            throw new ElasticSqsConfigurationException(problems);
        }
    }

    private static void ValidateQueues(ElasticSqsStorageOptions options, List<string> problems)
    {
        if (options.Queues.Count == 0 && string.IsNullOrWhiteSpace(options.QueueNamePrefix))
        {
            problems.Add("No SQS queue is configured: add Queues[\"default\"] = \"<queue URL or name>\" (the Elastic Beanstalk worker queue), or set QueueNamePrefix to map every Hangfire queue to '<prefix><queue>'.");
        }

        foreach (var (queue, target) in options.Queues)
        {
            if (!HangfireQueueName().IsMatch(queue))
            {
                problems.Add($"Queues has the Hangfire queue name '{queue}': Hangfire queue names are lower-case letters, digits, '_' and '-'.");
            }

            if (string.IsNullOrWhiteSpace(target))
            {
                problems.Add($"Queues[\"{queue}\"] is empty: set it to an SQS queue URL or queue name.");
            }
            else if (target.Contains("://", StringComparison.Ordinal) && !Uri.TryCreate(target, UriKind.Absolute, out _))
            {
                problems.Add($"Queues[\"{queue}\"] = '{target}' is not a valid queue URL.");
            }
            else if (!target.Contains("://", StringComparison.Ordinal) && !SqsQueueName().IsMatch(target))
            {
                problems.Add($"Queues[\"{queue}\"] = '{target}' is neither a queue URL nor a valid SQS queue name (1-80 letters, digits, '-', '_', optional '.fifo').");
            }
        }

        if (options.QueueNamePrefix is { Length: > 0 } prefix && !SqsQueueNamePrefix().IsMatch(prefix))
        {
            problems.Add($"QueueNamePrefix '{prefix}' cannot start an SQS queue name: use letters, digits, '-' and '_' only.");
        }
    }

    private static void ValidateKeys(ElasticSqsStorageOptions options, List<string> problems)
    {
        if (options.SigningKeys.Count == 0)
        {
            problems.Add($"SigningKeys is empty: add a key id and a secret of at least {MinimumKeyBytes} random bytes in base64 (e.g. `openssl rand -base64 32`), the same on the web and the worker environment.");
        }

        foreach (var (id, secret) in options.SigningKeys)
        {
            if (!KeyId().IsMatch(id))
            {
                problems.Add($"SigningKeys has the key id '{id}': key ids are 1-32 letters, digits, '-' or '_'.");
            }

            // The secret itself is never echoed back: only its key id.
            if (!TryDecodeKey(secret, out var bytes))
            {
                problems.Add($"SigningKeys[\"{id}\"] is not valid base64.");
            }
            else if (bytes.Length < MinimumKeyBytes)
            {
                problems.Add($"SigningKeys[\"{id}\"] is {bytes.Length} bytes long; use at least {MinimumKeyBytes} random bytes.");
            }
        }

        if (string.IsNullOrWhiteSpace(options.SigningKeyId))
        {
            problems.Add("SigningKeyId is not set: name the key in SigningKeys that signs new messages.");
        }
        else if (options.SigningKeys.Count > 0 && !options.SigningKeys.ContainsKey(options.SigningKeyId))
        {
            problems.Add($"SigningKeyId '{options.SigningKeyId}' is not one of the SigningKeys ({string.Join(", ", options.SigningKeys.Keys)}).");
        }
    }

    internal static bool TryDecodeKey(string? secret, out byte[] bytes)
    {
        bytes = [];
        if (string.IsNullOrWhiteSpace(secret))
        {
            return false;
        }

        try
        {
            bytes = Convert.FromBase64String(secret.Trim());
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Hangfire's rule for queue names (EnqueuedState refuses any other).</summary>
    public static bool IsHangfireQueueName(string queue) => HangfireQueueName().IsMatch(queue);

    [GeneratedRegex("^[a-z0-9_-]+$")]
    private static partial Regex HangfireQueueName();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,80}(\\.fifo)?$")]
    private static partial Regex SqsQueueName();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,70}$")]
    private static partial Regex SqsQueueNamePrefix();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex KeyId();
}
