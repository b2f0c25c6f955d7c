using System.Net;
using System.Text;

namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>The HTTP client sqsd would be: HTTP/1.1 keep-alive pool, no redirects, no decompression, no proxy.</summary>
internal static class SqsdHttpClient
{
    public static HttpClient Create(LocalSqsdOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // One pooled keep-alive connection per HttpConnections, as sqsd's connection pool.
            MaxConnectionsPerServer = options.HttpConnections,
            ConnectTimeout = TimeSpan.FromSeconds(options.ConnectTimeout),

            // A redirect is just a non-200 to sqsd.
            AllowAutoRedirect = false,

            // sqsd sends its own "Accept-Encoding: gzip, compressed" and ignores the body.
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,

            // The application is local; an HTTP_PROXY in the environment must not intercept it.
            UseProxy = false,

            // em-http writes attribute values as raw UTF-8 bytes; .NET would otherwise refuse non-ASCII values.
            RequestHeaderEncodingSelector = static (_, _) => Encoding.UTF8,
        };

        // Timeouts are applied per request (InactivityTimeout), not by the client.
        return new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }
}
