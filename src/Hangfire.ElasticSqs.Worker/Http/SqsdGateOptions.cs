using System.Net;

namespace Hangfire.ElasticSqs.Worker.Http;

/// <summary>Settings of <see cref="SqsdRequestGate"/>; the public worker options map onto these.</summary>
internal sealed class SqsdGateOptions
{
    /// <summary>
    /// User-Agent prefixes accepted besides <c>aws-sqsd</c> (for example a third-party emulator's
    /// <c>sqsd</c>). Compared ordinally, ignoring case. The worker options validator refuses empty prefixes: they
    /// would match every request.
    /// </summary>
    public IReadOnlyList<string> ExtraUserAgentPrefixes { get; init; } = [];

    /// <summary>
    /// Also treat the Docker bridge gateway as local (the app runs in a container and the host's
    /// nginx proxies to it). Off by default: see docs/security-loopback.md before enabling.
    /// </summary>
    public bool TrustDockerGateway { get; init; }

    /// <summary>
    /// The gateway addresses to trust when <see cref="TrustDockerGateway"/> is on. Empty means
    /// "detect the default gateway from /proc/net/route". The worker options validator refuses addresses without
    /// <see cref="TrustDockerGateway"/>.
    /// </summary>
    public IReadOnlyList<IPAddress> TrustedGatewayAddresses { get; init; } = [];
}
