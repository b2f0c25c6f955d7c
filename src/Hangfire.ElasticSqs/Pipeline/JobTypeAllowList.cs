using System.Text.Json;

namespace Hangfire.ElasticSqs.Pipeline;

/// <summary>
/// <see cref="ElasticSqsStorageOptions.AllowedJobTypes"/>: reads the job's type name from the verified payload as text
/// (Hangfire's <c>t</c>, or <c>Type</c> in the long form) and matches it against the list, so nothing is resolved or
/// loaded for a type that is not allowed.
/// </summary>
internal sealed class JobTypeAllowList
{
    private readonly HashSet<string> _types = new(StringComparer.Ordinal);
    private readonly List<string> _namespaces = [];

    public JobTypeAllowList(IEnumerable<string> entries)
    {
        foreach (var entry in entries)
        {
            if (entry.EndsWith(".*", StringComparison.Ordinal))
            {
                _namespaces.Add(entry[..^1]); // keeps the dot: "MyApp.Jobs." never matches "MyApp.JobsEvil.X"
            }
            else
            {
                _types.Add(entry);
            }
        }
    }

    public bool IsEmpty => _types.Count == 0 && _namespaces.Count == 0;

    public static bool IsValidEntry(string entry)
    {
        var name = entry.EndsWith(".*", StringComparison.Ordinal) ? entry[..^2] : entry;
        return name.Length > 0 && !name.StartsWith('.') && !name.EndsWith('.')
            && name.All(c => char.IsLetterOrDigit(c) || c is '.' or '_' or '+' or '`');
    }

    /// <summary>Null when the job may run; otherwise the refusal naming the type and the option.</summary>
    public string? Refusal(string jobPayload)
    {
        if (IsEmpty)
        {
            return null;
        }

        var type = TypeNameOf(jobPayload);
        if (type is null)
        {
            return "the job's type cannot be read from the payload, so AllowedJobTypes cannot allow it";
        }

        var fullName = FullName(type);
        if (_types.Contains(fullName) || _namespaces.Exists(ns => fullName.StartsWith(ns, StringComparison.Ordinal)))
        {
            return null;
        }

        var shown = fullName.Length <= 200 ? fullName : fullName[..200] + "…";
        return $"job type '{shown}' is not in AllowedJobTypes: add it, or its namespace as '<namespace>.*', to ElasticSqsStorageOptions.AllowedJobTypes if it should run here";
    }

    // "MyApp.Jobs.Report, MyApp" or "MyApp.Handler`1[[System.String, mscorlib]], MyApp" -> the name before the
    // assembly and any generic arguments.
    private static string FullName(string type)
    {
        var end = type.AsSpan().IndexOfAny(',', '[');
        return (end < 0 ? type : type[..end]).Trim();
    }

    private static string? TypeNameOf(string jobPayload)
    {
        try
        {
            using var document = JsonDocument.Parse(jobPayload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return (root.TryGetProperty("t", out var t) || root.TryGetProperty("Type", out t)) && t.ValueKind == JsonValueKind.String
                ? t.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
