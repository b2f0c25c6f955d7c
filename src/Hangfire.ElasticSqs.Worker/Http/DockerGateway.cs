using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace Hangfire.ElasticSqs.Worker.Http;

/// <summary>
/// Finds the default IPv4 gateway of this network namespace. Inside a container on Docker's bridge
/// network that is the host (usually 172.17.0.1), which is where the host's nginx connects from.
/// </summary>
internal static class DockerGateway
{
    /// <summary>The Linux kernel's IPv4 routing table.</summary>
    public const string RouteTablePath = "/proc/net/route";

    private const int RouteUp = 0x1;
    private const int RouteGateway = 0x2;

    /// <summary>Reads <see cref="RouteTablePath"/>; null when it is absent, unreadable or has no default route.</summary>
    /// <returns>The default gateway, or null.</returns>
    public static IPAddress? TryDetect() => TryDetect(RouteTablePath);

    /// <summary>Reads a route table file; null when it is absent, unreadable or has no default route.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The default gateway, or null.</returns>
    public static IPAddress? TryDetect(string path)
    {
        try
        {
            return File.Exists(path) ? ParseDefaultGateway(File.ReadAllText(path)) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Parses the content of /proc/net/route: among the lines whose Destination is <c>00000000</c>,
    /// that are up and go through a gateway, returns the Gateway of the one with the lowest Metric.
    /// The kernel prints the network-order address as a host-order integer, so on the little-endian
    /// machines .NET runs Elastic Beanstalk on, <c>010011AC</c> reads back to front: 172.17.0.1.
    /// </summary>
    /// <param name="routeTable">The file content, header line included.</param>
    /// <returns>The default gateway, or null when there is none.</returns>
    public static IPAddress? ParseDefaultGateway(string routeTable)
    {
        IPAddress? best = null;
        var bestMetric = long.MaxValue;
        foreach (var line in routeTable.Split('\n'))
        {
            // Iface Destination Gateway Flags RefCnt Use Metric Mask ...
            var columns = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length < 8 || columns[1] != "00000000" || columns[7] != "00000000"
                || !TryParseHex(columns[2], out var gateway) || gateway == 0
                || !TryParseHex(columns[3], out var flags) || (flags & (RouteUp | RouteGateway)) != (RouteUp | RouteGateway)
                || !long.TryParse(columns[6], NumberStyles.None, CultureInfo.InvariantCulture, out var metric)
                || metric >= bestMetric)
            {
                continue;
            }

            var bytes = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, gateway);
            best = new IPAddress(bytes);
            bestMetric = metric;
        }

        return best;
    }

    private static bool TryParseHex(string value, out uint result) =>
        uint.TryParse(value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out result);
}
