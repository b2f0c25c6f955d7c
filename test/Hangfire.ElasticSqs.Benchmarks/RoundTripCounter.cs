using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Hangfire.PostgreSql;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>
/// Counts what Hangfire.PostgreSql sends to the database, from Npgsql's own logs: every command executed (one round
/// trip each; Npgsql sends a transaction's BEGIN with its first command) and every commit or rollback (one round trip
/// each), by statement kind. Load-independent, unlike a rate.
/// </summary>
internal sealed partial class RoundTripCounter : ILoggerProvider, IConnectionFactory
{
    public const string Commit = "COMMIT";
    public const string Rollback = "ROLLBACK";
    public const string Begin = "BEGIN (sent with the next command)";

    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly NpgsqlDataSource _dataSource;

    /// <summary>Every distinct message counted, with its count (only with BENCH_SQL=1, to read what a kind stands for).</summary>
    public ConcurrentDictionary<string, long> Samples { get; } = new(StringComparer.Ordinal);
    private volatile bool _counting;

    public RoundTripCounter(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseLoggerFactory(LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(this)));
        _dataSource = builder.Build();
    }

    /// <summary>Starts counting from zero.</summary>
    public void Start()
    {
        _counts.Clear();
        _counting = true;
    }

    /// <summary>Stops counting and returns the counts by statement kind.</summary>
    public Dictionary<string, long> Stop()
    {
        _counting = false;
        return new(_counts, StringComparer.Ordinal);
    }

    public static long RoundTrips(IReadOnlyDictionary<string, long> counts)
        => counts.Where(c => c.Key != Begin).Sum(c => c.Value);

    public NpgsqlConnection GetOrCreateConnection() => _dataSource.CreateConnection();

    public ILogger CreateLogger(string categoryName) => categoryName switch
    {
        "Npgsql.Command" or "Npgsql.Transaction" => new Counter(this),
        _ => Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance,
    };

    public void Dispose() => _dataSource.Dispose();

    /// <summary>Set on a thread whose commands are the benchmark's own checks, not the job path's.</summary>
    [ThreadStatic]
    private static bool t_ignored;

    /// <summary>Runs <paramref name="check"/> without counting its commands (Npgsql logs on the calling thread).</summary>
    public static T Uncounted<T>(Func<T> check)
    {
        t_ignored = true;
        try
        {
            return check();
        }
        finally
        {
            t_ignored = false;
        }
    }

    private void Record(string message)
    {
        if (!_counting || t_ignored)
        {
            return;
        }

        string? kind = message switch
        {
            _ when message.StartsWith("Executing command: ", StringComparison.Ordinal) => Kind(message["Executing command: ".Length..]),
            "Committed transaction" => Commit,
            _ when message.StartsWith("Committing single-phase transaction", StringComparison.Ordinal) => Commit,
            "Rolling back transaction" => Rollback,
            _ when message.StartsWith("Rolling back single-phase transaction", StringComparison.Ordinal) => Rollback,
            "Starting transaction" => Begin,
            _ => null,
        };
        if (kind is not null)
        {
            _counts.AddOrUpdate(kind, 1, (_, n) => n + 1);
            if (Environment.GetEnvironmentVariable("BENCH_SQL") == "1")
            {
                Samples.AddOrUpdate(message, 1, (_, n) => n + 1);
            }
        }
    }

    /// <summary>"SELECT job", "INSERT lock", "DELETE jobqueue"…: the verbs and tables of a command, schema names dropped.</summary>
    internal static string Kind(string sql)
    {
        var parts = new List<string>();
        foreach (var statement in sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var verb = Verb().Match(statement);
            if (!verb.Success)
            {
                continue;
            }

            var table = Table().Match(statement);
            parts.Add(verb.Value.ToUpperInvariant() + (table.Success ? " " + table.Groups["t"].Value.ToLowerInvariant() : string.Empty));
        }

        return parts.Count == 0 ? "other" : string.Join(" + ", parts);
    }

    [GeneratedRegex(@"^\s*(WITH|SELECT|INSERT|UPDATE|DELETE|SET|LISTEN|NOTIFY)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Verb();

    [GeneratedRegex(@"\b(?:FROM|INTO|UPDATE)\s+(?:""?\w+""?\.)?""?(?<t>\w+)""?", RegexOptions.IgnoreCase)]
    private static partial Regex Table();

    private sealed class Counter(RoundTripCounter owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Record(formatter(state, exception));
    }
}
