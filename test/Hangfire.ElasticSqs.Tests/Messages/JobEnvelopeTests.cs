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

    // Known answers: the bytes the envelope writer produced when it was Newtonsoft.Json's JsonTextWriter, so senders
    // of either version write the same messages.
    [TestCase("17", "default", "store-1",
        "{\"v\":1,\"jobId\":\"17\",\"queue\":\"default\",\"job\":{\"t\":\"T, A\",\"m\":\"Work\",\"a\":[\"7\"]},\"createdAt\":\"2026-11-23T10:00:00.1234567Z\",\"store\":\"store-1\"}")]
    [TestCase("a\"b\\c\n\t<&>'+/", "critical-2", "caf\u00e9 \u2028",
        "{\"v\":1,\"jobId\":\"a\\\"b\\\\c\\n\\t<&>'+/\",\"queue\":\"critical-2\",\"job\":{\"t\":\"T, A\",\"m\":\"Work\",\"a\":[\"7\"]},\"createdAt\":\"2026-11-23T10:00:00.1234567Z\",\"store\":\"caf\u00e9 \\u2028\"}")]
    public void Writes_the_same_bytes_as_before(string jobId, string queue, string store, string expected)
    {
        var createdAt = new DateTime(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc).AddTicks(1234567);
        var envelope = new JobEnvelope(jobId, queue, "{\"t\":\"T, A\",\"m\":\"Work\",\"a\":[\"7\"]}", createdAt, store);

        Encoding.UTF8.GetString(envelope.ToUtf8()).Should().Be(expected);
        JobEnvelope.Parse(envelope.ToUtf8()).Should().Be(envelope);
    }

    [Test]
    public void Characters_outside_the_basic_plane_are_escaped_and_read_back_unchanged()
    {
        // System.Text.Json always escapes them (Newtonsoft wrote them raw): the JSON means the same to every reader, and
        // the signature covers the bytes as sent. Queues, job ids and store names never contain them in practice.
        var envelope = new JobEnvelope("1", "default", "{}", new DateTime(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc), "store \U0001F600");

        Encoding.UTF8.GetString(envelope.ToUtf8()).Should().EndWith("\"store\":\"store \\uD83D\\uDE00\"}");
        JobEnvelope.Parse(envelope.ToUtf8()).Should().Be(envelope);
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

    [Test]
    public void The_job_payload_is_kept_exactly_as_the_sender_wrote_it()
    {
        var payload = InvocationData.SerializeJob(Job.FromExpression(() => TestJobs.Work(7))).SerializePayload();
        var envelope = new JobEnvelope("17", "default", payload, new DateTime(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc), "store-1");

        JobEnvelope.Parse(envelope.ToUtf8()).Should().Be(envelope);
    }

    [Test]
    public void Whitespace_unknown_properties_escaped_names_and_any_property_order_are_read()
    {
        const string body = """
            {
              "store" : "s1",
              "extra": {"nested": [1, {"deep": true}], "job": "not this one"},
              "\u006aobId": "5",
              "createdAt": "2026-01-02T03:04:05.1234567Z",
              "job": { "Type": "T, A", "Method": "M", "ParameterTypes": "[]", "Arguments": "[]" },
              "queue": "critical",
              "v": 1
            }
            """;

        var envelope = JobEnvelope.Parse(Encoding.UTF8.GetBytes(body));

        envelope.JobId.Should().Be("5");
        envelope.Queue.Should().Be("critical");
        envelope.Store.Should().Be("s1");
        envelope.CreatedAt.Should().Be(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567));
        envelope.CreatedAt.Kind.Should().Be(DateTimeKind.Utc);
        envelope.JobPayload.Should().Be("""{ "Type": "T, A", "Method": "M", "ParameterTypes": "[]", "Arguments": "[]" }""");
    }

    [Test]
    public void A_repeated_property_takes_its_last_value()
        => JobEnvelope.Parse(Encoding.UTF8.GetBytes(
                "{\"v\":1,\"jobId\":\"1\",\"jobId\":\"2\",\"queue\":\"q\",\"job\":{},\"createdAt\":\"2026-01-01T00:00:00Z\",\"store\":\"s\"}"))
            .JobId.Should().Be("2");

    [TestCase("2026-01-01T02:00:00+02:00")]
    [TestCase("2026-01-01T00:00:00")]
    [TestCase("2026-01-01 00:00:00Z")]
    [TestCase("2026-01-01T00:00:00.0000000Z")]
    public void CreatedAt_is_read_as_utc_in_any_iso_form(string createdAt)
    {
        var body = $"{{\"v\":1,\"jobId\":\"1\",\"queue\":\"q\",\"job\":{{}},\"createdAt\":\"{createdAt}\",\"store\":\"s\"}}";

        var parsed = JobEnvelope.Parse(Encoding.UTF8.GetBytes(body)).CreatedAt;

        parsed.Should().Be(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        parsed.Kind.Should().Be(DateTimeKind.Utc);
    }

    [TestCase("{\"v\":1,\"jobId\":5,\"job\":{},\"queue\":\"q\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"store\":\"s\"}", "no 'jobId' string")]
    [TestCase("{\"v\":1,\"jobId\":\"\",\"job\":{},\"queue\":\"q\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"store\":\"s\"}", "no 'jobId' string")]
    [TestCase("{\"v\":1,\"jobId\":\"1\",\"job\":[],\"queue\":\"q\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"store\":\"s\"}", "no 'job' object")]
    [TestCase("{\"v\":1,\"jobId\":\"1\",\"job\":{},\"queue\":{\"a\":1},\"createdAt\":\"2026-01-01T00:00:00Z\",\"store\":\"s\"}", "no 'queue' string")]
    [TestCase("{\"v\":\"x\"}", "version is missing")]
    [TestCase("{\"v\":1,\"jobId\":\"1\"", "not a JSON object")]
    [TestCase("{\"v\":1,\"jobId\":\"1\",}x", "not a JSON object")]
    [TestCase("\"text\"", "not a JSON object")]
    public void A_wrongly_typed_or_truncated_envelope_is_refused_with_the_reason(string body, string reason)
    {
        var parse = () => JobEnvelope.Parse(Encoding.UTF8.GetBytes(body));
        parse.Should().Throw<FormatException>().WithMessage($"*{reason}*");
    }

    [Test]
    public void Nesting_deeper_than_32_levels_is_refused()
    {
        var deep = new string('[', 40) + new string(']', 40);
        var body = $"{{\"v\":1,\"extra\":{deep},\"jobId\":\"1\",\"job\":{{}},\"queue\":\"q\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"store\":\"s\"}}";

        var parse = () => JobEnvelope.Parse(Encoding.UTF8.GetBytes(body));
        parse.Should().Throw<FormatException>().WithMessage("*not a JSON object*");
    }

    [Test]
    public void Invalid_utf8_inside_the_job_payload_is_refused()
    {
        var body = Encoding.UTF8.GetBytes("{\"v\":1,\"jobId\":\"1\",\"job\":{\"a\":\"__\"},\"queue\":\"q\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"store\":\"s\"}");
        var at = Array.IndexOf(body, (byte)'_');
        body[at] = 0xC3;
        body[at + 1] = 0x28;

        var parse = () => JobEnvelope.Parse(body);
        parse.Should().Throw<FormatException>().WithMessage("*UTF-8*");
    }
}
