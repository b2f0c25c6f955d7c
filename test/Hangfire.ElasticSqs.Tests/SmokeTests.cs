using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Tests;

public class MotoServerTests
{
    [Test]
    public async Task Moto_server_answers_sqs_calls_and_can_be_restarted()
    {
        await using var moto = await MotoServer.StartAsync();
        using var sqs = moto.CreateClient();
        var url = (await sqs.CreateQueueAsync("smoke")).QueueUrl;
        await sqs.SendMessageAsync(url, "hello");
        var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { WaitTimeSeconds = 1 });
        received.Messages.Should().ContainSingle().Which.Body.Should().Be("hello");

        await moto.StopAsync();
        var outage = () => sqs.GetQueueUrlAsync("smoke");
        await outage.Should().ThrowAsync<Exception>();
        await moto.RestartAsync();
        (await sqs.CreateQueueAsync("smoke")).QueueUrl.Should().NotBeNullOrEmpty();
    }
}
