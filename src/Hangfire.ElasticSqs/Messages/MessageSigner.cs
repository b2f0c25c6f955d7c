using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Hangfire.ElasticSqs.Configuration;

namespace Hangfire.ElasticSqs.Messages;

/// <summary>
/// HMAC-SHA256 signatures over a message's exact body bytes, every signed attribute (the send time among them) and the
/// audience, as <c>v2:&lt;key id&gt;:&lt;base64&gt;</c>. One key signs; every configured key verifies (rotation).
/// </summary>
/// <remarks>
/// Verification is constant-time and runs before any JSON or type name is parsed, so an unsigned payload
/// naming, say, <c>System.Diagnostics.Process.Start</c> never reaches a type resolver. A v1 signature (no send time,
/// no audience) still verifies here, reported as version 1, so the pipeline can accept it during a deprecation
/// window or refuse it with a reason that says so.
/// </remarks>
internal sealed class MessageSigner
{
    /// <summary>The version new signatures carry.</summary>
    public const int CurrentVersion = 2;

    private const string Version = "v2";
    private const string VersionV1 = "v1";
    private readonly Dictionary<string, byte[]> _keys;
    private readonly string _signingKeyId;
    private readonly byte[] _signingKey;
    private readonly string _audience;

    public MessageSigner(IReadOnlyDictionary<string, string> keys, string signingKeyId, string? audience = null)
    {
        _audience = audience ?? string.Empty;
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
        => new(options.SigningKeys, options.SigningKeyId!, options.SigningAudience);

    /// <summary>Signs a message. <paramref name="attribute"/> returns a signed attribute's value, or null when absent.</summary>
    public string Sign(ReadOnlySpan<byte> body, Func<string, string?> attribute)
    {
        Span<byte> mac = stackalloc byte[32];
        Compute(Version, _signingKey, _signingKeyId, _audience, MessageAttributeNames.Signed, body, attribute, mac);
        return $"{Version}:{_signingKeyId}:{Convert.ToBase64String(mac)}";
    }

    /// <summary>Checks a current (v2) signature; false for a missing, malformed, unknown-key, wrong or v1 signature.</summary>
    public bool Verify(ReadOnlySpan<byte> body, Func<string, string?> attribute, string? signature)
        => VerifiedVersion(body, attribute, signature) == CurrentVersion;

    /// <summary>
    /// The version of a signature that verifies (1 or 2), or 0 for a missing, malformed, unknown-key or wrong one.
    /// A v1 signature covers neither the send time nor the audience.
    /// </summary>
    public int VerifiedVersion(ReadOnlySpan<byte> body, Func<string, string?> attribute, string? signature)
    {
        if (!TryParse(signature, out var version, out var keyId, out var expected) || !_keys.TryGetValue(keyId, out var key))
        {
            return 0;
        }

        Span<byte> mac = stackalloc byte[32];
        if (version == CurrentVersion)
        {
            Compute(Version, key, keyId, _audience, MessageAttributeNames.Signed, body, attribute, mac);
        }
        else
        {
            Compute(VersionV1, key, keyId, null, MessageAttributeNames.SignedV1, body, attribute, mac);
        }

        return CryptographicOperations.FixedTimeEquals(mac, expected) ? version : 0;
    }

    private static bool TryParse(string? signature, out int version, out string keyId, out byte[] mac)
    {
        keyId = string.Empty;
        mac = [];
        version = signature is null ? 0
            : signature.StartsWith(Version + ":", StringComparison.Ordinal) ? CurrentVersion
            : signature.StartsWith(VersionV1 + ":", StringComparison.Ordinal) ? 1
            : 0;
        if (version == 0)
        {
            return false;
        }

        var rest = signature!.AsSpan(Version.Length + 1);
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

    // The signed bytes: "v2\n<key id>\n<audience>\n" + "name=value\n" per signed attribute (absent ones as "name\n"),
    // then the body. Binding the key id stops a signature being replayed under another key's name; binding the audience
    // stops a message for one application being accepted by another that shares the key. v1 had no audience line.
    // This runs for every delivery: the header is encoded straight into a stack buffer and hashed, then the body, by a
    // keyed HMAC reused on this thread (a one-shot HMACSHA256.HashData sets the key up again each time: twice the cost).
    private static void Compute(string version, byte[] key, string keyId, string? audience, string[] signed, ReadOnlySpan<byte> body, Func<string, string?> attribute, Span<byte> mac)
    {
        var length = version.Length + 1 + Encoding.UTF8.GetByteCount(keyId) + 1 + (audience is null ? 0 : Encoding.UTF8.GetByteCount(audience) + 1);
        foreach (var name in signed)
        {
            length += name.Length + 1;
            if (attribute(name) is { } value)
            {
                length += 1 + Encoding.UTF8.GetByteCount(value);
            }
        }

        byte[]? rented = null;
        var header = length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Write(header, 0, version);
            header[written++] = (byte)'\n';
            written = Write(header, written, keyId);
            header[written++] = (byte)'\n';
            if (audience is not null)
            {
                written = Write(header, written, audience);
                header[written++] = (byte)'\n';
            }

            foreach (var name in signed)
            {
                written = Write(header, written, name);
                if (attribute(name) is { } value)
                {
                    header[written++] = (byte)'=';
                    written = Write(header, written, value);
                }

                header[written++] = (byte)'\n';
            }

            var hmac = KeyedHmac(key);
            hmac.AppendData(header[..written]);
            hmac.AppendData(body);
            if (!hmac.TryGetHashAndReset(mac, out var macLength) || macLength != mac.Length)
            {
                throw new CryptographicException("HMAC-SHA256 did not produce 32 bytes.");
            }
        }
        catch
        {
            // A failure part-way leaves the instance holding partial input: never reuse it.
            t_hmac?.Dispose();
            t_hmac = null;
            t_hmacKey = null;
            throw;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int Write(Span<byte> buffer, int offset, string text) => offset + Encoding.UTF8.GetBytes(text, buffer[offset..]);

    // One keyed HMAC per thread, for the key last used on it (normally the one signing key): IncrementalHash is not
    // thread-safe, and a thread finishes each computation (TryGetHashAndReset) before it starts the next.
    [ThreadStatic]
    private static IncrementalHash? t_hmac;

    [ThreadStatic]
    private static byte[]? t_hmacKey;

    private static IncrementalHash KeyedHmac(byte[] key)
    {
        if (t_hmac is { } cached && ReferenceEquals(t_hmacKey, key))
        {
            return cached;
        }

        t_hmac?.Dispose();
        t_hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        t_hmacKey = key;
        return t_hmac;
    }
}
