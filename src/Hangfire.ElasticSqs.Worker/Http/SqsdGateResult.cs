namespace Hangfire.ElasticSqs.Worker.Http;

/// <summary>What <see cref="SqsdRequestGate"/> decided about a request.</summary>
internal enum SqsdGateDecision
{
    /// <summary>Not an sqsd request: pass it to the rest of the application.</summary>
    NotSqsd,

    /// <summary>Claims to be sqsd but does not come from this host: answer 403 and parse nothing.</summary>
    Forbidden,

    /// <summary>An sqsd request from loopback (or a trusted gateway): go on to the signature check.</summary>
    Allowed,
}

/// <summary>
/// The gate's decision plus a short reason meant for logs. Reasons name headers and parsed IP addresses
/// only, never raw header values, so they can be logged at any level.
/// </summary>
/// <param name="Decision">The decision.</param>
/// <param name="Reason">Why; for logs only, never for the response body.</param>
internal readonly record struct SqsdGateResult(SqsdGateDecision Decision, string Reason)
{
    /// <summary>The request's User-Agent is not sqsd's.</summary>
    public static SqsdGateResult NotSqsd { get; } = new(SqsdGateDecision.NotSqsd, "User-Agent is not sqsd");

    /// <summary>Allowed because the peer and every forwarded hop are loopback.</summary>
    public static SqsdGateResult AllowedLoopback { get; } = new(SqsdGateDecision.Allowed, "loopback");

    /// <summary>Allowed because the peer is a trusted gateway and every forwarded hop is local.</summary>
    public static SqsdGateResult AllowedGateway { get; } = new(SqsdGateDecision.Allowed, "trusted gateway");

    /// <summary>True when the request may proceed.</summary>
    public bool IsAllowed => Decision == SqsdGateDecision.Allowed;

    /// <summary>A refusal with the given log reason.</summary>
    /// <param name="reason">Why, without secrets or raw header values.</param>
    /// <returns>A <see cref="SqsdGateDecision.Forbidden"/> result.</returns>
    public static SqsdGateResult Forbidden(string reason) => new(SqsdGateDecision.Forbidden, reason);
}
