using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.LocalSqsd.Tests;

public sealed class StatusHandlingTests : LocalSqsdTestBase
{
    [Test]
    public async Task A_200_deletes_the_message()
    {
        var queueUrl = await CreateQueueAsync();
        await Sqs.SendMessageAsync(queueUrl, "ok");
        await StartSqsdAsync(OptionsFor(queueUrl));

        await WaitForRequestsAsync(1);
        await WaitUntilEmptyAsync(queueUrl);

        App.Requests.Should().ContainSingle();
    }

    [TestCase(500)]
    [TestCase(204)]
    [TestCase(202)]
    [TestCase(301)]
    public async Task Any_status_but_200_keeps_the_message_and_it_returns_after_the_error_visibility_timeout(int status)
    {
        var queueUrl = await CreateQueueAsync();
        var sent = await Sqs.SendMessageAsync(queueUrl, "retry me");
        App.Respond = (request, _) => Task.FromResult(request.Number == 1 ? status : 200);
        await StartSqsdAsync(OptionsFor(queueUrl));

        // VisibilityTimeout is 300 s: a redelivery within the 30 s deadline can only come from the 1 s
        // error visibility timeout.
        var requests = await WaitForRequestsAsync(2);
        await WaitUntilEmptyAsync(queueUrl);

        requests.Select(request => request.Header("X-Aws-Sqsd-Msgid")).Should().AllBe(sent.MessageId);
        requests.Select(request => request.Header("X-Aws-Sqsd-Receive-Count")).Should().Equal("1", "2");
        (requests[1].ArrivedAt - requests[0].ArrivedAt).Should().BeGreaterThan(TimeSpan.FromSeconds(0.9));
        LogLines.Should().Contain($"http-err: {sent.MessageId} (1) {status}");
    }

    [Test]
    public async Task No_answer_within_the_inactivity_timeout_counts_as_a_failure()
    {
        var queueUrl = await CreateQueueAsync();
        var sent = await Sqs.SendMessageAsync(queueUrl, "slow");
        var firstAborted = new TaskCompletionSource();
        App.Respond = async (request, context) =>
        {
            if (request.Number > 1)
            {
                return 200;
            }

            // Hang until sqsd gives up and drops the connection.
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                firstAborted.TrySetResult();
            }

            return -1;
        };
        var options = OptionsFor(queueUrl);
        options.InactivityTimeout = 1;
        await StartSqsdAsync(options);

        var requests = await WaitForRequestsAsync(2);
        await WaitUntilEmptyAsync(queueUrl);

        firstAborted.Task.IsCompleted.Should().BeTrue("sqsd closes the connection when the inactivity timeout runs out");
        requests.Select(request => request.Header("X-Aws-Sqsd-Receive-Count")).Should().Equal("1", "2");
        LogLines.Should().Contain(line => line.StartsWith($"socket-err: {sent.MessageId} (1) ", StringComparison.Ordinal));
    }

    [Test]
    public async Task A_connection_closed_without_a_response_is_posted_again_at_once()
    {
        var queueUrl = await CreateQueueAsync();
        var sent = await Sqs.SendMessageAsync(queueUrl, "dropped");
        App.CloseNextConnectionsWithoutResponse(1);
        await StartSqsdAsync(OptionsFor(queueUrl));

        var requests = await WaitForRequestsAsync(1);
        await WaitUntilEmptyAsync(queueUrl);

        // Receive-Count 1: the same receive was posted again at once, not redelivered by SQS.
        App.ClosedWithoutResponse.Should().Be(1);
        requests.Should().ContainSingle().Which.Header("X-Aws-Sqsd-Receive-Count").Should().Be("1");
        LogLines.Should().Contain($"connection closed by server without a response for {sent.MessageId}; re-posting");
    }

    [Test]
    public async Task A_connection_reset_counts_as_a_socket_error()
    {
        var queueUrl = await CreateQueueAsync();
        var sent = await Sqs.SendMessageAsync(queueUrl, "reset");
        App.Respond = (request, context) =>
        {
            if (request.Number > 1)
            {
                return Task.FromResult(200);
            }

            context.Abort(); // Kestrel resets the connection (RST)
            return Task.FromResult(-1);
        };
        await StartSqsdAsync(OptionsFor(queueUrl));

        var requests = await WaitForRequestsAsync(2);
        await WaitUntilEmptyAsync(queueUrl);

        requests.Select(request => request.Header("X-Aws-Sqsd-Receive-Count")).Should().Equal("1", "2");
        LogLines.Should().Contain(line => line.StartsWith($"socket-err: {sent.MessageId} (1) ", StringComparison.Ordinal));
    }

    [Test]
    public async Task A_message_failing_every_time_reaches_the_dead_letter_queue_after_MaxRetries_receives()
    {
        var deadLetterUrl = await CreateQueueAsync();
        var deadLetterArn = (await Sqs.GetQueueAttributesAsync(deadLetterUrl, ["QueueArn"])).QueueARN;
        var queueUrl = await CreateQueueAsync(new Dictionary<string, string>
        {
            ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"{{deadLetterArn}}","maxReceiveCount":"2"}""",
        });
        var sent = await Sqs.SendMessageAsync(queueUrl, "poison");
        App.Respond = (_, _) => Task.FromResult(500);
        var options = OptionsFor(queueUrl);
        options.MaxRetries = 2;
        options.ErrorVisibilityTimeout = 0;
        await StartSqsdAsync(options);

        var deadLetters = await Eventually.Until(
            async () => (await Sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = deadLetterUrl, WaitTimeSeconds = 1 })).Messages ?? [],
            messages => messages.Count > 0,
            "the message in the dead-letter queue");

        deadLetters.Should().ContainSingle().Which.MessageId.Should().Be(sent.MessageId);
        App.Requests.Select(request => request.Header("X-Aws-Sqsd-Receive-Count")).Should().Equal("1", "2");
    }
}
