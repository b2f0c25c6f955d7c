namespace Hangfire.ElasticSqs.Tests.Support;

/// <summary>Fixed signing secrets for tests (never use these anywhere else).</summary>
internal static class TestKeys
{
    public const string CurrentId = "k2026";
    public const string PreviousId = "k2025";
    public static readonly string Current = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    public static readonly string Previous = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    public static ElasticSqsStorageOptions Options(Action<ElasticSqsStorageOptions>? configure = null)
    {
        var options = new ElasticSqsStorageOptions { SigningKeyId = CurrentId };
        options.SigningKeys[CurrentId] = Current;
        configure?.Invoke(options);
        return options;
    }
}
