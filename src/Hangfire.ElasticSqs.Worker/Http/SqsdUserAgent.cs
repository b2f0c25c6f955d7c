namespace Hangfire.ElasticSqs.Worker.Http;

/// <summary>
/// Recognises sqsd by its User-Agent (<c>aws-sqsd</c>, <c>aws-sqsd/2.4</c>, <c>aws-sqsd/3.0.4</c>).
/// This is routing, not security: anyone can send that header, so the loopback check follows.
/// </summary>
internal static class SqsdUserAgent
{
    /// <summary>The prefix every real sqsd version sends.</summary>
    public const string Prefix = "aws-sqsd";

    /// <summary>True when <paramref name="userAgent"/> starts with <c>aws-sqsd</c> or one of the extra prefixes.</summary>
    /// <param name="userAgent">The request's User-Agent, or null when absent.</param>
    /// <param name="extraPrefixes">Additional accepted prefixes (non-empty strings).</param>
    /// <returns>Whether the request claims to come from sqsd.</returns>
    public static bool IsSqsd(string? userAgent, IReadOnlyList<string> extraPrefixes)
    {
        if (string.IsNullOrEmpty(userAgent))
        {
            return false;
        }

        if (userAgent.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // Index loop: this runs on every request the app receives, so no enumerator allocation.
        for (var i = 0; i < extraPrefixes.Count; i++)
        {
            if (userAgent.StartsWith(extraPrefixes[i], StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
