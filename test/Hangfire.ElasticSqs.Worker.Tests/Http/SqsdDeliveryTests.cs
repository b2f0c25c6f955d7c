using Hangfire.ElasticSqs.Worker.Http;
using Microsoft.AspNetCore.Http;

namespace Hangfire.ElasticSqs.Worker.Tests.Http;

public class SqsdDeliveryTests
{
    [Test]
    public void Reads_an_ordinary_sqsd_3_delivery()
    {
        // The headers sqsd 3.0.4 sends with a message, plus two title-cased attribute headers.
        var delivery = Parse(
            ("Content-Type", "application/json"),
            ("User-Agent", "aws-sqsd/3.0.4"),
            ("X-Aws-Sqsd-Msgid", "4c3f0f50-4c28-433e-81f8-c9c79bf22f0b"),
            ("X-Aws-Sqsd-Receive-Count", "16"),
            ("X-Aws-Sqsd-First-Received-At", "2023-08-15T13:57:53Z"),
            ("X-Aws-Sqsd-Sent-At", "2023-08-15T13:57:52Z"),
            ("X-Aws-Sqsd-Queue", "cns-trans-sqs-dev"),
            ("X-Aws-Sqsd-Path", "/"),
            ("X-Aws-Sqsd-Sender-Id", "AROAEXAMPLE:i-0879d7966a857453a"),
            ("X-Aws-Sqsd-Attr-Hangfire-Job-Id", "42"),
            ("X-Aws-Sqsd-Attr-Hangfire-Retry", "3"));

        delivery.Should().BeEquivalentTo(new
        {
            MessageId = "4c3f0f50-4c28-433e-81f8-c9c79bf22f0b",
            ReceiveCount = 16,
            FirstReceivedAt = new DateTimeOffset(2023, 8, 15, 13, 57, 53, TimeSpan.Zero),
            SentAt = new DateTimeOffset(2023, 8, 15, 13, 57, 52, TimeSpan.Zero),
            QueueName = "cns-trans-sqs-dev",
            Path = "/",
            SenderId = "AROAEXAMPLE:i-0879d7966a857453a",
            TaskName = (string?)null,
            ScheduledAt = (DateTimeOffset?)null,
            IsPeriodicTask = false,
        });
        delivery.Attributes.Keys.Should().BeEquivalentTo("hangfire-job-id", "hangfire-retry");
        delivery.GetAttribute("Hangfire-Job-Id").Should().Be("42");
        delivery.GetAttribute("HANGFIRE-RETRY").Should().Be("3");
        delivery.GetAttribute("hangfire-missing").Should().BeNull();
    }

    [Test]
    public void Reads_attribute_headers_whatever_their_casing()
    {
        var delivery = Parse(("X-Aws-Sqsd-Msgid", "m"), ("x-aws-sqsd-attr-isReverse", "true"), ("X-AWS-SQSD-ATTR-Message-Digest", "d"));

        delivery.Attributes.Keys.Should().BeEquivalentTo("isreverse", "message-digest");
        delivery.GetAttribute("isReverse").Should().Be("true");
    }

    [Test]
    public void Reads_a_periodic_task()
    {
        // The headers sqsd 2.4 sends with a periodic task.
        var delivery = Parse(
            ("X-Aws-Sqsd-Msgid", "6998edf8-3f19-4c69-92cf-7c919241b957"),
            ("X-Aws-Sqsd-Receive-Count", "4"),
            ("X-Aws-Sqsd-Path", "/testjob"),
            ("X-Aws-Sqsd-Taskname", "testjob"),
            ("X-Aws-Sqsd-Scheduled-At", "2019-11-14T00:47:00Z"),
            ("Content-Length", "0"));

        delivery.IsPeriodicTask.Should().BeTrue();
        delivery.TaskName.Should().Be("testjob");
        delivery.Path.Should().Be("/testjob");
        delivery.ScheduledAt.Should().Be(new DateTimeOffset(2019, 11, 14, 0, 47, 0, TimeSpan.Zero));
        delivery.Attributes.Should().BeEmpty();
    }

    [TestCase(null, 1)]
    [TestCase("", 1)]
    [TestCase("abc", 1)]
    [TestCase("-3", 1)]
    [TestCase("0", 1)]
    [TestCase("99999999999", 1)]
    [TestCase("1", 1)]
    [TestCase("7", 7)]
    public void Receive_count_defaults_to_one_when_absent_or_garbage(string? value, int expected)
    {
        var headers = value is null ? [("X-Aws-Sqsd-Msgid", "m")] : new[] { ("X-Aws-Sqsd-Msgid", "m"), ("X-Aws-Sqsd-Receive-Count", value) };

        Parse(headers).ReceiveCount.Should().Be(expected);
    }

    [Test]
    public void Empty_values_read_as_null()
    {
        // sqsd 2.0 sends an empty X-Aws-Sqsd-Path for ordinary messages.
        var delivery = Parse(("X-Aws-Sqsd-Msgid", "m"), ("X-Aws-Sqsd-Path", ""), ("X-Aws-Sqsd-Taskname", ""), ("X-Aws-Sqsd-Sent-At", ""));

        delivery.Path.Should().BeNull();
        delivery.IsPeriodicTask.Should().BeFalse();
        delivery.SentAt.Should().BeNull();
    }

    [Test]
    public void A_repeated_header_with_the_same_value_is_accepted() =>
        Parse(("X-Aws-Sqsd-Msgid", "m"), ("X-Aws-Sqsd-Attr-Hangfire-Job-Id", "42"), ("x-aws-sqsd-attr-hangfire-job-id", "42"))
            .GetAttribute("hangfire-job-id").Should().Be("42");

    [TestCase("X-Aws-Sqsd-Msgid")]
    [TestCase("X-Aws-Sqsd-Receive-Count")]
    [TestCase("X-Aws-Sqsd-Attr-Hangfire-Job-Id")]
    public void A_header_repeated_with_different_values_is_an_error(string name)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Append("X-Aws-Sqsd-Msgid", "m");
        context.Request.Headers.Append(name, "1");
        context.Request.Headers.Append(name.ToUpperInvariant(), "secret-2");

        SqsdDelivery.TryParse(context.Request, out var delivery, out var error).Should().BeFalse();

        delivery.Should().BeNull();
        error.Should().Contain("more than once").And.NotContain("secret");
    }

    [Test]
    public void A_missing_message_id_is_an_error()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Append("X-Aws-Sqsd-Receive-Count", "1");

        SqsdDelivery.TryParse(context.Request, out _, out var error).Should().BeFalse();

        error.Should().Be("header X-Aws-Sqsd-Msgid is missing");
    }

    [Test]
    public void Unknown_sqsd_headers_and_an_empty_attribute_name_are_ignored() =>
        Parse(("X-Aws-Sqsd-Msgid", "m"), ("X-Aws-Sqsd-Receipt-Handle", "h"), ("X-Aws-Sqsd-Attr-", "x"))
            .Attributes.Should().BeEmpty();

    private static SqsdDelivery Parse(params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }

        SqsdDelivery.TryParse(context.Request, out var delivery, out var error).Should().BeTrue(error);
        return delivery!;
    }
}
