using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Hangfire.ElasticSqs.Worker.Http;

/// <summary>Address tests and forwarded-header entry parsing used by <see cref="SqsdRequestGate"/>.</summary>
internal static class LocalAddress
{
    /// <summary>
    /// True for IPv4 127.0.0.0/8, IPv6 <c>::1</c> and IPv4-mapped IPv6 loopback (<c>::ffff:127.x.y.z</c>,
    /// which is what a dual-mode Kestrel socket reports for an IPv4 client). Scope ids are ignored.
    /// </summary>
    /// <param name="address">The address to test.</param>
    /// <returns>Whether the address is a loopback address.</returns>
    public static bool IsLoopback(IPAddress address)
    {
        // Read the bytes rather than call IPAddress.IsLoopback: that one only knows ::ffff:127.0.0.1,
        // not the rest of the mapped 127/8, and compares IPv6 scope ids.
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var length))
        {
            return false;
        }

        if (length == 4)
        {
            return bytes[0] == 127;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return bytes[12] == 127;
        }

        return bytes[..15].IndexOfAnyExcept((byte)0) < 0 && bytes[15] == 1;
    }

    /// <summary>Whether two addresses are the same, treating IPv4 and IPv4-mapped IPv6 forms as equal.</summary>
    /// <param name="left">One address.</param>
    /// <param name="right">The other address.</param>
    /// <returns>True when both name the same host address.</returns>
    public static bool SameAddress(IPAddress left, IPAddress right)
    {
        if (left.IsIPv4MappedToIPv6)
        {
            left = left.MapToIPv4();
        }

        if (right.IsIPv4MappedToIPv6)
        {
            right = right.MapToIPv4();
        }

        return left.Equals(right);
    }

    /// <summary>
    /// Parses one forwarded hop: <c>127.0.0.1</c>, <c>::1</c>, <c>127.0.0.1:5555</c>, <c>[::1]:5555</c>,
    /// optionally in double quotes (RFC 7239). Anything else (<c>unknown</c>, obfuscated ids, empty)
    /// fails, and the gate treats a failed entry as not local.
    /// </summary>
    /// <param name="entry">One comma-separated element, untrimmed.</param>
    /// <param name="address">The parsed address.</param>
    /// <returns>Whether the entry is an IP address (with or without a port).</returns>
    public static bool TryParseHop(ReadOnlySpan<char> entry, [NotNullWhen(true)] out IPAddress? address)
    {
        entry = entry.Trim();
        if (entry.Length >= 2 && entry[0] == '"' && entry[^1] == '"')
        {
            entry = entry[1..^1].Trim();
        }

        address = null;
        if (entry.IsEmpty)
        {
            return false;
        }

        // IPEndPoint.TryParse takes bare addresses too (port 0) and understands [v6]:port.
        if (!IPEndPoint.TryParse(entry, out var endPoint))
        {
            return false;
        }

        address = endPoint.Address;
        return true;
    }
}
