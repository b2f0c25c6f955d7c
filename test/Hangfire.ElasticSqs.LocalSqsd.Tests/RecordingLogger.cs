using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.LocalSqsd.Tests;

/// <summary>Keeps every formatted log line so tests can check the daemon's sqsd-style log.</summary>
public sealed class RecordingLogger : ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => _lines.ToList();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
        => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _lines.Enqueue(formatter(state, exception));
}
