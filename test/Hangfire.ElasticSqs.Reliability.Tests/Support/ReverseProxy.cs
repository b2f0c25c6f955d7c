using System.Collections.Concurrent;
using System.Net;
using Hangfire.ElasticSqs.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Reliability.Tests.Support;

/// <summary>
/// A small reverse proxy on Kestrel (loopback) in front of one or more workers, round-robin: stands in for nginx
/// (a read timeout answered 504, like nginx's <c>proxy_read_timeout</c>) and for a load balancer, and counts every
/// status it passes back, so a test can tell what sqsd was answered.
/// </summary>
public sealed class ReverseProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length", "Content-Type", "Upgrade",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _client;
    private readonly TimeSpan _timeout;
    private volatile Uri[] _upstreams;
    private int _next;

    private ReverseProxy(WebApplication app, HttpClient client, Uri[] upstreams, TimeSpan timeout, Uri url)
    {
        _app = app;
        _client = client;
        _upstreams = upstreams;
        _timeout = timeout;
        Url = url;
    }

    private int _inFlight;

    public Uri Url { get; }

    /// <summary>Statuses returned to the caller (sqsd), by code; 502 = upstream unreachable, 504 = read timeout.</summary>
    public ConcurrentDictionary<int, int> Statuses { get; } = new();

    public int Count(int status) => Statuses.GetValueOrDefault(status);

    /// <summary>Requests the proxy is forwarding right now (sqsd's connections in use).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public string Describe() => string.Join(" ", Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"));

    public void SetUpstreams(params Uri[] upstreams) => _upstreams = upstreams;

    public static async Task<ReverseProxy> StartAsync(TimeSpan timeout, params Uri[] upstreams)
    {
        var url = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url.ToString());
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        builder.Logging.ClearProviders();
        var client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            MaxConnectionsPerServer = 256,
            ConnectTimeout = TimeSpan.FromSeconds(2),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        var app = builder.Build();
        var proxy = new ReverseProxy(app, client, upstreams, timeout, url);
        app.Run(proxy.ForwardAsync);
        await app.StartAsync().ConfigureAwait(false);
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            await ForwardOnceAsync(context).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task ForwardOnceAsync(HttpContext context)
    {
        var upstreams = _upstreams;
        var upstream = upstreams[(int)((uint)Interlocked.Increment(ref _next) % upstreams.Length)];
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body).ConfigureAwait(false);
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(upstream, context.Request.Path + context.Request.QueryString))
        {
            Content = new ByteArrayContent(body.ToArray()),
        };
        if (context.Request.ContentType is { } contentType)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (!HopHeaders.Contains(name))
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        int status;
        using var timeout = new CancellationTokenSource(_timeout);
        try
        {
            using var response = await _client.SendAsync(request, timeout.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            context.Response.StatusCode = status;
            await context.Response.WriteAsync(await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            status = (int)HttpStatusCode.GatewayTimeout;
            context.Response.StatusCode = status;
        }
        catch (HttpRequestException)
        {
            status = (int)HttpStatusCode.BadGateway;
            context.Response.StatusCode = status;
        }

        Statuses.AddOrUpdate(status, 1, static (_, n) => n + 1);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }
}
