using System.Data.Common;
using System.Net.Sockets;
using Hangfire.ElasticSqs.Enqueue;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Pipeline;

/// <summary>
/// Tells a real outage — SQS or the inner storage unreachable, slow or timing out — from every other failure. Only an
/// outage is answered "try again later" (sqsd 503): anything else is a defect or a refusal, and calling it an outage
/// would hide it behind endless redeliveries.
/// </summary>
internal static class OutageClassifier
{
    public static bool IsOutage(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (JobMessagePublisher.IsTransient(current)
                || current is DbException or SocketException or DistributedLockTimeoutException or TimeoutException)
            {
                return true;
            }
        }

        return false;
    }
}
