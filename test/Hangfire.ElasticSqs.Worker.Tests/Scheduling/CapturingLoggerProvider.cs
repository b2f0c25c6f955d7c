using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Worker.Tests.Scheduling;

/// <summary>An <see cref="ILoggerProvider"/> that keeps every log entry, so tests can check what the worker logged.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => _entries.ToList();

    public IReadOnlyList<LogEntry> From<T>() => Entries.Where(e => e.Category == typeof(T).FullName).ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    public sealed record LogEntry(string Category, LogLevel Level, string Message)
    {
        public override string ToString() => $"{Level} {Category}: {Message}";
    }

    private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
            => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => entries.Enqueue(new LogEntry(category, logLevel, formatter(state, exception)));
    }
}
