using System.Text;
using Hangfire.Common;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Tests.Messages;

public class JobEnvelopeTests
{
    [Test]
    public void An_envelope_round_trips_and_keeps_hangfires_own_payload_readable()
    {
        var payload = InvocationData.SerializeJob(Job.FromExpression(() => TestJobs.Work(7))).SerializePayload();
        var envelope = new JobEnvelope("17", "default", payload, new DateTime(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc), "store-1");

        var text = Encoding.UTF8.GetString(envelope.ToUtf8());
        text.Should().StartWith("{\"v\":1,\"jobId\":\"17\",\"queue\":\"default\",\"job\":{");
        text.Should().Contain("TestJobs").And.Contain("\"store\":\"store-1\"");

        var parsed = JobEnvelope.Parse(Encoding.UTF8.GetBytes(text));
        parsed.Should().Be(envelope with { JobPayload = parsed.JobPayload });
        InvocationData.DeserializePayload(parsed.JobPayload).DeserializeJob().Args.Should().Equal(7);
    }

    [TestCase("", "not a JSON object")]
    [TestCase("[1,2]", "not a JSON object")]
    [TestCase("{\"v\":2}", "version is 2")]
    [TestCase("{\"v\":1,\"jobId\":\"1\",\"queue\":\"q\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"store\":\"s\"}", "no 'job' object")]
    [TestCase("{\"v\":1,\"job\":{},\"queue\":\"q\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"store\":\"s\"}", "no 'jobId'")]
    [TestCase("{\"v\":1,\"jobId\":\"1\",\"job\":{},\"queue\":\"q\",\"createdAt\":\"yesterday\",\"store\":\"s\"}", "'createdAt' is not a date")]
    public void A_malformed_envelope_is_refused_with_the_reason(string body, string reason)
    {
        var parse = () => JobEnvelope.Parse(Encoding.UTF8.GetBytes(body));
        parse.Should().Throw<FormatException>().WithMessage($"*{reason}*");
    }

    [Test]
    public void Invalid_utf8_is_refused()
    {
        var parse = () => JobEnvelope.Parse(new byte[] { 0x7B, 0xC3, 0x28, 0x7D });
        parse.Should().Throw<FormatException>().WithMessage("*UTF-8*");
    }
}
