using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.ElasticSqs.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Hangfire.ElasticSqs.Tests.Commands;

/// <summary><c>elasticsqs queues …</c> against one moto server shared by the class; each test has its own queue prefix.</summary>
[TestFixture]
public sealed class QueuesCommandTests
{
    private MotoServer _moto = null!;

    [OneTimeSetUp]
    public async Task StartMoto() => _moto = await MotoServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopMoto() => await _moto.DisposeAsync();

    [Test]
    public async Task Create_makes_each_queue_with_its_dead_letter_queue_and_is_idempotent()
    {
        await using var bed = await SqsTestBed.StartAsync(_moto);
        var storage = bed.CreateStorage(o => o.Queues["critical"] = bed.Prefix + "critical");

        var first = await RunAsync(storage, "queues", "create", "--host", "sqsd");

        first.ExitCode.Should().Be(0, first.Error);
        first.Output.Should().Contain($"created {bed.Prefix}critical-dlq").And.Contain($"created {bed.Prefix}critical (")
            .And.Contain($"created {bed.Prefix}default-dlq").And.Contain($"created {bed.Prefix}default (");
        var url = (await bed.Sqs.GetQueueUrlAsync(bed.Prefix + "critical")).QueueUrl;
        var attributes = (await bed.Sqs.GetQueueAttributesAsync(url, ["All"])).Attributes;
        var dlqUrl = (await bed.Sqs.GetQueueUrlAsync(bed.Prefix + "critical-dlq")).QueueUrl;
        attributes["VisibilityTimeout"].Should().Be("300");
        Operations.RedrivePolicy.Parse(attributes["RedrivePolicy"]).Should().Be(new Operations.RedrivePolicy((await bed.Sqs.GetQueueAttributesAsync(dlqUrl, ["QueueArn"])).QueueARN, 5));
        (await bed.Sqs.GetQueueAttributesAsync(dlqUrl, ["MessageRetentionPeriod"])).MessageRetentionPeriod.Should().Be(1_209_600);

        var again = await RunAsync(storage, "queues", "create", "--host", "sqsd");
        again.ExitCode.Should().Be(0, again.Error);
        again.Output.Should().Contain($"{bed.Prefix}critical: already up to date").And.NotContain("created").And.NotContain("updated");

        var changed = await RunAsync(storage, "queues", "create", "--queue", "critical", "--host", "poll", "--max-receive-count", "3");
        changed.ExitCode.Should().Be(0, changed.Error);
        changed.Output.Should().Contain($"{bed.Prefix}critical: updated VisibilityTimeout (300 -> 60)").And.Contain("updated RedrivePolicy").And.NotContain("default");
    }

    [Test]
    public async Task Dead_letters_are_listed_without_arguments_and_redriven_once_each()
    {
        await using var bed = await SqsTestBed.StartAsync(_moto);
        var storage = bed.CreateStorage();
        (await RunAsync(storage, "queues", "create", "--max-receive-count", "1")).ExitCode.Should().Be(0);
        var url = (await bed.Sqs.GetQueueUrlAsync(bed.Prefix + "default")).QueueUrl;
        var dlqUrl = (await bed.Sqs.GetQueueUrlAsync(bed.Prefix + "default-dlq")).QueueUrl;
        var jobId = new BackgroundJobClient(storage).Enqueue(() => TestJobs.Carry("the-secret-argument"));
        await storage.BackgroundSends.WhenIdleAsync();
        await bed.Sqs.SendMessageAsync(dlqUrl, "poison, not a job message");
        await Eventually.Until(
            async () =>
            {
                // Received and never deleted: SQS moves it to the dead-letter queue past maxReceiveCount (1).
                await bed.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { VisibilityTimeout = 0, WaitTimeSeconds = 0 });
                return (await bed.Sqs.GetQueueAttributesAsync(dlqUrl, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages;
            },
            count => count == 2,
            "the job's message to reach the dead-letter queue");

        var stats = await RunAsync(storage, "queues", "stats");
        stats.ExitCode.Should().Be(0, stats.Error);
        stats.Output.Should().MatchRegex($@"default\s+{bed.Prefix}default\s+0\s+0\s+0\s+2");

        var listed = await RunAsync(storage, "queues", "dead-letters");
        listed.ExitCode.Should().Be(0, listed.Error);
        listed.Output.Should().Contain("2 dead letter(s)")
            .And.Contain($"job {jobId}  {typeof(TestJobs).FullName}.{nameof(TestJobs.Carry)}")
            .And.Contain("delivered 1 time(s) without completing; the job is Enqueued")
            .And.Contain("no signature: not a job message of this application")
            .And.NotContain("the-secret-argument");

        var redriven = await RunAsync(storage, "queues", "redrive");
        redriven.ExitCode.Should().Be(0, redriven.Error);
        redriven.Output.Should().Contain($"moved 2 message(s) from {bed.Prefix}default-dlq back to {bed.Prefix}default").And.Contain("Redrove 2 message(s).");
        var back = await bed.DrainAsync("default", 2);
        back.Select(m => m.Body).Should().HaveCount(2).And.Contain("poison, not a job message");
        back.Should().ContainSingle(m => m.MessageAttributes != null && SqsTestBed.Verifies(m, storage.Options.SigningKeys, TestKeys.CurrentId), "the job's message is sent verbatim, so its signature still verifies");
        (await RunAsync(storage, "queues", "redrive")).Output.Should().Contain("Redrove 0 message(s).");
    }

    [Test]
    public async Task Purge_asks_first_unless_told_yes()
    {
        await using var bed = await SqsTestBed.StartAsync(_moto);
        var url = await bed.CreateQueueAsync("default");
        await bed.Sqs.SendMessageAsync(url, "one");
        var storage = bed.CreateStorage();

        var refused = await RunWithInputAsync(storage, "no\n", "queues", "purge");
        refused.ExitCode.Should().Be(1);
        refused.Output.Should().Contain($"This deletes every message of {bed.Prefix}default, for good. Type 'yes' to go on:");
        refused.Error.Should().Contain("Not purged");
        (await bed.Sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages.Should().Be(1);

        var purged = await RunWithInputAsync(storage, string.Empty, "queues", "purge", "--yes");
        purged.ExitCode.Should().Be(0, purged.Error);
        purged.Output.Should().Contain($"Purged {bed.Prefix}default");
        await Eventually.Until(
            async () => (await bed.Sqs.GetQueueAttributesAsync(url, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages,
            count => count == 0,
            "the purge to empty the queue");
    }

    [Test]
    public async Task Bad_command_lines_name_the_problem()
    {
        await using var bed = await SqsTestBed.StartAsync(_moto);
        var storage = bed.CreateStorage();

        var unknown = await RunAsync(storage, "queues", "drop");
        unknown.ExitCode.Should().Be(2);
        unknown.Error.Should().Contain("Unknown queues command 'drop'");
        (await RunAsync(storage, "queues", "create", "--host", "ec2")).Error.Should().Contain("--host takes sqsd, poll or lambda");
        (await RunAsync(storage, "cron-yaml")).Error.Should().Contain("cron-yaml comes with Hangfire.ElasticSqs.Worker");
        var missing = await RunAsync(storage, "queues", "stats");
        missing.ExitCode.Should().Be(1);
        missing.Error.Should().Contain($"'{bed.Prefix}default', which does not exist").And.Contain("elasticsqs queues create creates the mapped queues");
    }

    private static Task<(int ExitCode, string Output, string Error)> RunAsync(ElasticSqsStorage storage, params string[] args)
        => RunWithInputAsync(storage, string.Empty, args);

    private static async Task<(int ExitCode, string Output, string Error)> RunWithInputAsync(ElasticSqsStorage storage, string input, params string[] args)
    {
        await using var services = new ServiceCollection().AddSingleton<JobStorage>(storage).BuildServiceProvider();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await ElasticSqsCommands.RunAsync(services, ["elasticsqs", .. args], output, error, new StringReader(input));
        return (exitCode, output.ToString(), error.ToString());
    }
}
