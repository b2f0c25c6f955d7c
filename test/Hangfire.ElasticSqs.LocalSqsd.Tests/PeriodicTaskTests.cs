using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Hangfire.ElasticSqs.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Hangfire.ElasticSqs.LocalSqsd.Tests;

public sealed class PeriodicTaskTests : LocalSqsdTestBase
{
    private const string CronYaml = """
        version: 1
        cron:
          - name: "backup-job"
            url: "/backup"
            schedule: "*/5 * * * *"
        """;

    private string _cronYamlPath = null!;

    [SetUp]
    public async Task WriteCronYamlAsync()
    {
        _cronYamlPath = Path.Combine(Path.GetTempPath(), $"cron-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(_cronYamlPath, CronYaml);
    }

    [TearDown]
    public void DeleteCronYaml() => File.Delete(_cronYamlPath);

    [Test]
    public async Task At_the_fire_time_the_task_is_sent_through_the_worker_queue_as_sqsd_does()
    {
        var queueUrl = await CreateQueueAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 10, 0, 30, TimeSpan.Zero));
        using var scheduler = new PeriodicTaskScheduler(Sqs, queueUrl, CronYamlFile.Parse(CronYaml).Tasks, clock, NullLogger.Instance);
        scheduler.Start();

        clock.Advance(TimeSpan.FromMinutes(5));
        var messages = await Eventually.Until(
            async () => (await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queueUrl, MessageAttributeNames = ["All"], WaitTimeSeconds = 1 })).Messages ?? [],
            received => received.Count > 0,
            "the periodic task's message");
        await scheduler.StopAsync();

        var message = messages.Should().ContainSingle().Subject;
        message.Body.Should().Be("elasticbeanstalk scheduled job");
        message.MessageAttributes.Should().HaveCount(3);
        message.MessageAttributes.Values.Select(value => value.DataType).Should().AllBe("String");
        message.MessageAttributes["beanstalk.sqsd.path"].StringValue.Should().Be("/backup");
        message.MessageAttributes["beanstalk.sqsd.task_name"].StringValue.Should().Be("backup-job");
        message.MessageAttributes["beanstalk.sqsd.scheduled_time"].StringValue.Should().Be("2026-01-01 10:05:00 UTC");
    }

    [Test]
    public async Task A_fired_task_is_posted_to_its_url_with_an_empty_body_and_the_periodic_task_headers()
    {
        var queueUrl = await CreateQueueAsync();

        // Near the real time (so that nothing counts as expired), 30 s past a minute.
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 30, TimeSpan.Zero);
        var clock = new FakeTimeProvider(start);
        var options = OptionsFor(queueUrl);
        options.HttpPath = "/worker";
        options.CronYamlPath = _cronYamlPath;
        options.BatchDeleteDelay = TimeSpan.Zero;
        await StartSqsdAsync(options, clock);

        clock.Advance(TimeSpan.FromMinutes(5));
        var request = (await WaitForRequestsAsync(1))[0];
        await WaitUntilEmptyAsync(queueUrl);

        var fireTime = start.AddSeconds(-30).AddMinutes(5 - (start.Minute % 5));
        request.Path.Should().Be("/backup", "HttpPath is not prepended to a task's url");
        request.Body.Should().BeEmpty();
        request.Header("Content-Length").Should().Be("0");
        request.Header("Connection").Should().Be("close");
        request.Header("Content-Type").Should().Be("application/json");
        request.Header("User-Agent").Should().Be("aws-sqsd/3.0.4");
        request.Header("X-Aws-Sqsd-Taskname").Should().Be("backup-job");
        request.Header("X-Aws-Sqsd-Scheduled-At").Should().Be(fireTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        request.Header("X-Aws-Sqsd-Path").Should().Be("/backup");
        request.Header("X-Aws-Sqsd-Receive-Count").Should().Be("1");
        request.Header("X-Aws-Sqsd-Queue").Should().Be(queueUrl.Split('/')[^1]);
        request.HeaderNames.Should().Contain(["X-Aws-Sqsd-Msgid", "X-Aws-Sqsd-First-Received-At", "X-Aws-Sqsd-Sent-At", "X-Aws-Sqsd-Sender-Id"]);
        request.HeaderNames.Should().NotContain(name => name.StartsWith("X-Aws-Sqsd-Attr-", StringComparison.OrdinalIgnoreCase), "beanstalk.sqsd.* attributes are consumed by sqsd");
    }

    [Test]
    public async Task A_task_message_sent_by_hand_is_delivered_as_a_periodic_task_and_retried_like_any_message()
    {
        var queueUrl = await CreateQueueAsync();
        await Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = queueUrl,
            MessageBody = "elasticbeanstalk scheduled job",
            MessageAttributes = new Dictionary<string, MessageAttributeValue>
            {
                ["beanstalk.sqsd.path"] = new() { DataType = "String", StringValue = "/testjob" },
                ["beanstalk.sqsd.task_name"] = new() { DataType = "String", StringValue = "testjob" },
                ["beanstalk.sqsd.scheduled_time"] = new() { DataType = "String", StringValue = "2019-11-14 00:47:00 UTC" },
            },
        });
        App.Respond = (request, _) => Task.FromResult(request.Number == 1 ? 204 : 200);
        await StartSqsdAsync(OptionsFor(queueUrl));

        var requests = await WaitForRequestsAsync(2);
        await WaitUntilEmptyAsync(queueUrl);

        requests.Should().AllSatisfy(request =>
        {
            request.Path.Should().Be("/testjob");
            request.Body.Should().BeEmpty();
            request.Header("X-Aws-Sqsd-Taskname").Should().Be("testjob");
            request.Header("X-Aws-Sqsd-Scheduled-At").Should().Be("2019-11-14T00:47:00Z");
        });
        requests.Select(request => request.Header("X-Aws-Sqsd-Receive-Count")).Should().Equal("1", "2");
    }
}
