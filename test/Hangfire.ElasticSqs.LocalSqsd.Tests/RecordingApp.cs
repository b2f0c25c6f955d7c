using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.LocalSqsd.Tests;

/// <summary>One request as the application saw it, header names exactly as they arrived.</summary>
public sealed record RecordedRequest(
    int Number,
    string Method,
    string Path,
    string Protocol,
    string ConnectionId,
    IReadOnlyList<KeyValuePair<string, string[]>> Headers,
    byte[] Body,
    DateTimeOffset ArrivedAt)
{
    public IEnumerable<string> HeaderNames => Headers.Select(header => header.Key);

    /// <summary>The single value of <paramref name="name"/> (case-insensitive); null when absent.</summary>
    public string? Header(string name)
    {
        var values = Headers.Where(header => string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase)).SelectMany(header => header.Value).ToList();
        values.Should().HaveCountLessThanOrEqualTo(1, $"header {name} should appear at most once");
        return values.SingleOrDefault();
    }
}

/// <summary>
/// A real Kestrel application on a free loopback port that records every request and answers with a
/// status chosen by the test (<see cref="Respond"/> returns the status, or -1 when it aborted the request).
/// </summary>
public sealed class RecordingApp : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private int _count;
    private int _inFlight;
    private int _maxInFlight;
    private int _connectionsToClose;
    private int _closedWithoutResponse;

    private RecordingApp(WebApplication app) => _app = app;

    public Func<RecordedRequest, HttpContext, Task<int>> Respond { get; set; } = static (_, _) => Task.FromResult(200);

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => _requests.OrderBy(request => request.Number).ToList();

    public int InFlight => Volatile.Read(ref _inFlight);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Requests that were read whole and answered by closing the connection cleanly, without a response.</summary>
    public int ClosedWithoutResponse => Volatile.Read(ref _closedWithoutResponse);

    /// <summary>
    /// Makes the next <paramref name="count"/> connections read one request and then close gracefully (FIN)
    /// without a byte of response, as a server whose keep-alive timeout just expired does. Kestrel's
    /// <see cref="HttpContext.Abort"/> cannot do this: it resets the connection.
    /// </summary>
    public void CloseNextConnectionsWithoutResponse(int count) => Volatile.Write(ref _connectionsToClose, count);

    public static async Task<RecordingApp> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        RecordingApp? recording = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
            listen.Use(next => connection => recording!.OnConnectionAsync(connection, next))));
        var app = builder.Build();
        recording = new RecordingApp(app);
        app.Run(recording.HandleAsync);
        await app.StartAsync();
        recording.BaseAddress = new Uri(app.Urls.Single());
        return recording;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (!TryTakeOne(ref _connectionsToClose))
        {
            await next(connection);
            return;
        }

        // Read the whole request first: closing with unread bytes would make the kernel send a reset.
        await ReadOneRequestAsync(connection.Transport.Input);
        Interlocked.Increment(ref _closedWithoutResponse);
    }

    private static async Task ReadOneRequestAsync(PipeReader input)
    {
        while (true)
        {
            var result = await input.ReadAsync();
            var text = Encoding.ASCII.GetString(result.Buffer.ToArray());
            var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headerEnd >= 0)
            {
                var lengthLine = text[..headerEnd].Split("\r\n").FirstOrDefault(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture);
                if (result.Buffer.Length >= headerEnd + 4 + length)
                {
                    input.AdvanceTo(result.Buffer.End);
                    return;
                }
            }

            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private static bool TryTakeOne(ref int counter)
    {
        var current = Volatile.Read(ref counter);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref counter, current - 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var request = new RecordedRequest(
            Interlocked.Increment(ref _count),
            context.Request.Method,
            context.Request.Path + context.Request.QueryString,
            context.Request.Protocol,
            context.Connection.Id,
            context.Request.Headers.Select(header => KeyValuePair.Create(header.Key, header.Value.ToArray()!)).ToList()!,
            body.ToArray(),
            DateTimeOffset.UtcNow);

        var inFlight = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, inFlight);
        _requests.Enqueue(request);
        try
        {
            var status = await Respond(request, context);
            if (status >= 0)
            {
                context.Response.StatusCode = status;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
