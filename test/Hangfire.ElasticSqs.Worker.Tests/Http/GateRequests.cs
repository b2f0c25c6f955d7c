using System.Net;
using Microsoft.AspNetCore.Http;

namespace Hangfire.ElasticSqs.Worker.Tests.Http;

/// <summary>Builds DefaultHttpContexts shaped like the requests the gate sees.</summary>
internal static class GateRequests
{
    public const string SqsdAgent = "aws-sqsd/3.0.4";

    public static DefaultHttpContext From(string? peer, string? userAgent = SqsdAgent, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = peer is null ? null : IPAddress.Parse(peer);
        context.Connection.RemotePort = 40000;
        if (userAgent is not null)
        {
            context.Request.Headers.UserAgent = userAgent;
        }

        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }

        return context;
    }
}
