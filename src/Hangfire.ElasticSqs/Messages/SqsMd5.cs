using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Amazon.SQS.Model;

namespace Hangfire.ElasticSqs.Messages;

/// <summary>
/// The MD5 digests SQS returns for a sent message, computed locally to prove the message arrived intact
/// (SQS's documented algorithm for attributes: names sorted, each field length-prefixed big-endian).
/// </summary>
/// <remarks>Hex digits are upper-case; compare with <see cref="StringComparison.OrdinalIgnoreCase"/>.</remarks>
#pragma warning disable CA5351 // MD5 is what SQS returns for integrity checks; nothing here relies on it for security.
internal static class SqsMd5
{
    public static string OfBody(byte[] body) => Convert.ToHexString(MD5.HashData(body));

    public static string OfAttributes(IReadOnlyDictionary<string, MessageAttributeValue> attributes)
    {
        using var stream = new MemoryStream();
        foreach (var name in attributes.Keys.Order(StringComparer.Ordinal))
        {
            var value = attributes[name];
            Write(stream, Encoding.UTF8.GetBytes(name));
            Write(stream, Encoding.UTF8.GetBytes(value.DataType));
            stream.WriteByte(1); // String and Number transport type; this library never sends Binary (sqsd drops it).
            Write(stream, Encoding.UTF8.GetBytes(value.StringValue ?? string.Empty));
        }

        return Convert.ToHexString(MD5.HashData(stream.ToArray()));
    }

    private static void Write(Stream stream, byte[] bytes)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        stream.Write(length);
        stream.Write(bytes);
    }
}
#pragma warning restore CA5351
