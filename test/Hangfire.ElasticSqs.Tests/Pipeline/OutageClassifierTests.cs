using System.Data.Common;
using System.Net.Sockets;
using Amazon.SQS;
using Hangfire.ElasticSqs.Pipeline;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Tests.Pipeline;

/// <summary>Only SQS or storage being unreachable is an outage (503, try again); a defect or a refusal is not.</summary>
public class OutageClassifierTests
{
    private static IEnumerable<TestCaseData> Outages()
    {
        yield return new TestCaseData(new SocketException((int)SocketError.ConnectionRefused)).SetName("socket refused");
        yield return new TestCaseData(new TimeoutException()).SetName("timeout");
        yield return new TestCaseData(new DistributedLockTimeoutException("elasticsqs:import:x")).SetName("storage lock timeout");
        yield return new TestCaseData(new DatabaseDown()).SetName("database error");
        yield return new TestCaseData(new InvalidOperationException("wrapped", new SocketException())).SetName("wrapped socket error");
        yield return new TestCaseData(new AmazonSQSException("down") { StatusCode = System.Net.HttpStatusCode.ServiceUnavailable }).SetName("SQS 503");
    }

    private static IEnumerable<TestCaseData> Defects()
    {
        yield return new TestCaseData(new InvalidOperationException("a bug")).SetName("invalid operation");
        yield return new TestCaseData(new FormatException()).SetName("format");
        yield return new TestCaseData(new KeyNotFoundException()).SetName("key not found");
        yield return new TestCaseData(new ArgumentException("bad queue")).SetName("argument");
        yield return new TestCaseData(new Newtonsoft.Json.JsonSerializationException()).SetName("job arguments unreadable");
        yield return new TestCaseData(new AmazonSQSException("denied") { StatusCode = System.Net.HttpStatusCode.Forbidden }).SetName("SQS 403");
    }

    [TestCaseSource(nameof(Outages))]
    public void Unreachable_sqs_or_storage_is_an_outage(Exception exception) => OutageClassifier.IsOutage(exception).Should().BeTrue();

    [TestCaseSource(nameof(Defects))]
    public void Other_failures_are_not_outages(Exception exception) => OutageClassifier.IsOutage(exception).Should().BeFalse();

    private sealed class DatabaseDown : DbException;
}
