using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Hangfire.ElasticSqs.Configuration;

namespace Hangfire.ElasticSqs.Messages;

/// <summary>
/// HMAC-SHA256 signatures over a message's exact body bytes and every signed attribute, as
/// <c>v1:&lt;key id&gt;:&lt;base64&gt;</c>. One key signs; every configured key verifies (rotation).
/// </summary>
/// <remarks>
/// Verification is constant-time and runs before any JSON or type name is parsed, so an unsigned payload
/// naming, say, <c>System.Diagnostics.Process.Start</c> never reaches a type resolver.
/// </remarks>
internal sealed class MessageSigner
{
    private const string Version = "v1";
    private readonly Dictionary<string, byte[]> _keys;
    private readonly string _signingKeyId;
    private readonly byte[] _signingKey;

    public MessageSigner(IReadOnlyDictionary<string, string> keys, string signingKeyId)
    {
        _keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, secret) in keys)
        {
            if (!ElasticSqsOptionsValidator.TryDecodeKey(secret, out var bytes))
            {
                throw new ElasticSqsConfigurationException($"SigningKeys[\"{id}\"] is not valid base64.");
            }

            _keys[id] = bytes;
        }

        _signingKeyId = signingKeyId;
        _signingKey = _keys.TryGetValue(signingKeyId, out var key)
            ? key
            : throw new ElasticSqsConfigurationException($"SigningKeyId '{signingKeyId}' is not one of the SigningKeys.");
    }

    public static MessageSigner FromOptions(ElasticSqsStorageOptions options)
        => new(options.SigningKeys, options.SigningKeyId!);

    /// <summary>Signs a message. <paramref name="attribute"/> returns a signed attribute's value, or null when absent.</summary>
    public string Sign(ReadOnlySpan<byte> body, Func<string, string?> attribute)
    {
        Span<byte> mac = stackalloc byte[32];
        Compute(_signingKey, _signingKeyId, body, attribute, mac);
        return $"{Version}:{_signingKeyId}:{Convert.ToBase64String(mac)}";
    }

    /// <summary>Checks a signature; false for a missing, malformed, unknown-key or wrong signature.</summary>
    public bool Verify(ReadOnlySpan<byte> body, Func<string, string?> attribute, string? signature)
    {
        if (!TryParse(signature, out var keyId, out var expected) || !_keys.TryGetValue(keyId, out var key))
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[32];
        Compute(key, keyId, body, attribute, mac);
        return CryptographicOperations.FixedTimeEquals(mac, expected);
    }

    private static bool TryParse(string? signature, out string keyId, out byte[] mac)
    {
        keyId = string.Empty;
        mac = [];
        if (signature is null || !signature.StartsWith(Version + ":", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = signature.AsSpan(Version.Length + 1);
        var colon = rest.IndexOf(':');
        if (colon <= 0)
        {
            return false;
        }

        keyId = rest[..colon].ToString();
        var encoded = rest[(colon + 1)..];
        Span<byte> buffer = stackalloc byte[64];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var written) || written != 32)
        {
            return false;
        }

        mac = buffer[..written].ToArray();
        return true;
    }

    // The signed bytes: "v1\n<key id>\n" + "name=value\n" per signed attribute (absent ones as "name\n"),
    // then the body. Binding the key id stops a signature being replayed under another key's name.
    private static void Compute(byte[] key, string keyId, ReadOnlySpan<byte> body, Func<string, string?> attribute, Span<byte> mac)
    {
        var header = new StringBuilder(128).Append(Version).Append('\n').Append(keyId).Append('\n');
        foreach (var name in MessageAttributeNames.Signed)
        {
            header.Append(name);
            if (attribute(name) is { } value)
            {
                header.Append('=').Append(value);
            }

            header.Append('\n');
        }

        var headerText = header.ToString();
        var headerLength = Encoding.UTF8.GetByteCount(headerText);
        var buffer = ArrayPool<byte>.Shared.Rent(headerLength + body.Length);
        try
        {
            Encoding.UTF8.GetBytes(headerText, buffer);
            body.CopyTo(buffer.AsSpan(headerLength));
            HMACSHA256.HashData(key, buffer.AsSpan(0, headerLength + body.Length), mac);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
