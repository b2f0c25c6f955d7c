using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Hangfire.ElasticSqs.Worker.Http;

/// <summary>
/// The first check of the sqsd endpoint, run before anything is parsed: is this sqsd at all, and
/// does it come from this host? Thread-safe; create one per application.
/// </summary>
/// <remarks>
/// What is trusted, and why (details in docs/security-loopback.md):
/// <list type="bullet">
/// <item>The peer is <see cref="ConnectionInfo.RemoteIpAddress"/>. If it is not loopback (or a trusted
/// gateway) the request is refused and its forwarding headers are never read: a remote client can
/// write anything in them.</item>
/// <item>A local peer is sqsd itself or a proxy on this host (nginx on Elastic Beanstalk). Such a
/// proxy forwards remote clients too, so every address it reports must also be local:
/// every entry of every <c>X-Forwarded-For</c>, <c>X-Real-IP</c> and <c>Forwarded: for=</c>. A client
/// can prepend entries but cannot remove the one nginx appends for its own peer, so demanding that
/// all entries be local is what makes prepending useless. Unparseable entries count as remote.</item>
/// <item>ASP.NET Core's ForwardedHeadersMiddleware may already have replaced RemoteIpAddress with a
/// forwarded address; it then stores the real peer in <c>X-Original-For</c>, overwriting any value a
/// client sent, so that header must be local too. What the middleware consumed beyond that is gone:
/// with <c>ForwardLimit</c> above 1 and KnownProxies/KnownNetworks that include non-local addresses
/// (or are cleared), a remote client can make itself look local, and no check here can tell.</item>
/// </list>
/// </remarks>
internal sealed class SqsdRequestGate
{
    private const string XForwardedFor = "X-Forwarded-For";
    private const string XRealIp = "X-Real-IP";
    private const string XOriginalFor = "X-Original-For";
    private const string Forwarded = "Forwarded";

    private readonly string[] _extraPrefixes;
    private readonly IPAddress[] _trustedGateways;

    /// <summary>Creates the gate, detecting the Docker gateway from /proc/net/route when it is trusted.</summary>
    /// <param name="options">The gate's settings.</param>
    public SqsdRequestGate(SqsdGateOptions options)
        : this(options, DockerGateway.TryDetect)
    {
    }

    /// <summary>Creates the gate with an injectable gateway detector (tests).</summary>
    /// <param name="options">The gate's settings.</param>
    /// <param name="detectGateway">Called once, only when the gateway is trusted and no address is configured.</param>
    public SqsdRequestGate(SqsdGateOptions options, Func<IPAddress?> detectGateway)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(detectGateway);
        _extraPrefixes = [.. options.ExtraUserAgentPrefixes];
        _trustedGateways = !options.TrustDockerGateway ? []
            : options.TrustedGatewayAddresses.Count > 0 ? [.. options.TrustedGatewayAddresses]
            : detectGateway() is { } detected ? [detected]
            : [];
    }

    /// <summary>
    /// The gateway addresses treated as local. Empty when gateway trust is off, or when it is on but
    /// detection found nothing: log a warning in that case.
    /// </summary>
    public IReadOnlyList<IPAddress> TrustedGateways => _trustedGateways;

    /// <summary>Decides whether the request is sqsd's and comes from this host.</summary>
    /// <param name="context">The request; only headers and the connection are read.</param>
    /// <returns><see cref="SqsdGateResult.NotSqsd"/>, a Forbidden result with a log reason, or an Allowed result.</returns>
    public SqsdGateResult Evaluate(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var headers = context.Request.Headers;
        var userAgent = headers.UserAgent;
        if (!SqsdUserAgent.IsSqsd(userAgent.Count > 0 ? userAgent[0] : null, _extraPrefixes))
        {
            return SqsdGateResult.NotSqsd;
        }

        var peer = context.Connection.RemoteIpAddress;
        if (peer is null)
        {
            return SqsdGateResult.Forbidden("the connection has no remote IP address (not TCP?)");
        }

        var peerIsLoopback = LocalAddress.IsLoopback(peer);
        if (!peerIsLoopback && !IsTrustedGateway(peer))
        {
            // Headers of a remote peer are never read: they are whatever the client wrote.
            return SqsdGateResult.Forbidden($"peer {peer} is not loopback");
        }

        var refusal = CheckHops(headers[XForwardedFor], XForwardedFor, splitFor: false)
            ?? CheckHops(headers[XRealIp], XRealIp, splitFor: false)
            ?? CheckHops(headers[XOriginalFor], XOriginalFor, splitFor: false)
            ?? CheckHops(headers[Forwarded], Forwarded, splitFor: true);
        if (refusal is not null)
        {
            return SqsdGateResult.Forbidden(refusal);
        }

        return peerIsLoopback ? SqsdGateResult.AllowedLoopback : SqsdGateResult.AllowedGateway;
    }

    private bool IsLocal(IPAddress address) => LocalAddress.IsLoopback(address) || IsTrustedGateway(address);

    private bool IsTrustedGateway(IPAddress address)
    {
        foreach (var gateway in _trustedGateways)
        {
            if (LocalAddress.SameAddress(address, gateway))
            {
                return true;
            }
        }

        return false;
    }

    // Returns null when every hop in every value is local, else a log reason. With splitFor, each
    // element is an RFC 7239 list of pairs and only the for= pairs are hops.
    private string? CheckHops(StringValues values, string headerName, bool splitFor)
    {
        foreach (var value in values)
        {
            var rest = (value ?? string.Empty).AsSpan();
            while (true)
            {
                var comma = rest.IndexOf(',');
                var element = comma < 0 ? rest : rest[..comma];
                var reason = splitFor ? CheckForwardedElement(element, headerName) : CheckHop(element, headerName);
                if (reason is not null)
                {
                    return reason;
                }

                if (comma < 0)
                {
                    break;
                }

                rest = rest[(comma + 1)..];
            }
        }

        return null;
    }

    private string? CheckForwardedElement(ReadOnlySpan<char> element, string headerName)
    {
        while (!element.IsEmpty)
        {
            var semicolon = element.IndexOf(';');
            var pair = (semicolon < 0 ? element : element[..semicolon]).Trim();
            if (pair.StartsWith("for=", StringComparison.OrdinalIgnoreCase)
                && CheckHop(pair["for=".Length..], headerName) is { } reason)
            {
                return reason;
            }

            element = semicolon < 0 ? default : element[(semicolon + 1)..];
        }

        return null;
    }

    private string? CheckHop(ReadOnlySpan<char> entry, string headerName)
    {
        // What nginx writes for sqsd, recognised without allocating an IPEndPoint per hop.
        if (entry.Trim() is "127.0.0.1" or "::1")
        {
            return null;
        }

        if (!LocalAddress.TryParseHop(entry, out var address))
        {
            // Never echo the raw value: it is client-controlled and may be long or sensitive.
            return $"{headerName} has an entry that is not an IP address";
        }

        return IsLocal(address) ? null : $"{headerName} names non-local address {address}";
    }
}
