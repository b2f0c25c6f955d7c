using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Maps Hangfire recurring job ids to <c>cron.yaml</c> task names, deterministically, so the worker can find the
/// job behind an <c>X-Aws-Sqsd-Taskname</c> header from the registered jobs alone, without reading <c>cron.yaml</c>.
/// </summary>
/// <remarks>
/// Task names travel as an HTTP header value and a DynamoDB key, so they are kept to <c>[A-Za-z0-9._-]</c> and at
/// most <see cref="MaxLength"/> characters. An id that already fits is used as it is. Any other id becomes
/// <c>&lt;prefix&gt;--&lt;hash&gt;</c>: the prefix is the id with every run of other characters replaced by <c>_</c>,
/// cut to 50 characters (<c>job</c> if nothing is left), and the hash is the first 12 lowercase hex digits of the
/// SHA-256 of the id's UTF-8 bytes. Ids that fit but already end like a mapped name (<c>--</c> and 12 hex digits)
/// are mapped too, so a verbatim name can never equal a mapped one: the mapping is one-to-one except for a
/// 48-bit hash collision, which <see cref="MapTaskNamesToRecurringJobIds"/> and the generator detect and report.
/// </remarks>
internal static class CronYamlTaskNames
{
    /// <summary>The longest task name produced.</summary>
    public const int MaxLength = 64;

    private const int HashLength = 12;
    private const string HashSeparator = "--";
    private const int MaxPrefixLength = MaxLength - HashLength - 2;

    /// <summary>The task name for a recurring job id; see the type's remarks for the rule.</summary>
    /// <param name="recurringJobId">The Hangfire recurring job id.</param>
    /// <returns>A name of 1 to <see cref="MaxLength"/> characters from <c>[A-Za-z0-9._-]</c>.</returns>
    public static string ToTaskName(string recurringJobId)
    {
        ArgumentException.ThrowIfNullOrEmpty(recurringJobId);
        if (recurringJobId.Length <= MaxLength && recurringJobId.All(IsSafe) && !LooksMapped(recurringJobId))
        {
            return recurringJobId;
        }

        var prefix = new StringBuilder();
        foreach (var c in recurringJobId)
        {
            if (IsSafe(c))
            {
                prefix.Append(c);
            }
            else if (prefix.Length == 0 || prefix[^1] != '_')
            {
                prefix.Append('_');
            }
        }

        var readable = prefix.Length == 0 ? "job" : prefix.ToString(0, Math.Min(prefix.Length, MaxPrefixLength));
        return readable + HashSeparator + Hash(recurringJobId);
    }

    /// <summary>
    /// Builds the lookup the worker needs for periodic-task requests: task name (ordinal) to recurring job id.
    /// </summary>
    /// <param name="recurringJobIds">The ids of the registered recurring jobs.</param>
    /// <returns>Every id's task name mapped back to the id.</returns>
    /// <exception cref="InvalidOperationException">Two different ids map to the same task name.</exception>
    public static IReadOnlyDictionary<string, string> MapTaskNamesToRecurringJobIds(IEnumerable<string> recurringJobIds)
    {
        ArgumentNullException.ThrowIfNull(recurringJobIds);
        var lookup = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in recurringJobIds)
        {
            var name = ToTaskName(id);
            if (lookup.TryGetValue(name, out var other) && !string.Equals(other, id, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(CollisionMessage(other, id, name));
            }

            lookup[name] = id;
        }

        return lookup;
    }

    internal static string CollisionMessage(string firstId, string secondId, string name) =>
        $"Recurring jobs '{firstId}' and '{secondId}' both map to cron.yaml task name '{name}'; rename one of them.";

    private static bool IsSafe(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';

    private static bool LooksMapped(string name) =>
        name.Length >= HashLength + HashSeparator.Length
        && name.AsSpan(name.Length - HashLength - HashSeparator.Length, HashSeparator.Length).SequenceEqual(HashSeparator)
        && name[^HashLength..].All(char.IsAsciiHexDigitLower);

    private static string Hash(string recurringJobId)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(recurringJobId));
        return Convert.ToHexString(digest, 0, HashLength / 2).ToLower(CultureInfo.InvariantCulture);
    }
}
