using System.Net;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Testing;
using Hangfire.States;
using Microsoft.Extensions.DependencyInjection;

namespace Hangfire.ElasticSqs.Worker.Tests.Delivery;

/// <summary>Every row of the sqsd endpoint's HTTP contract (docs/http-contract.md), against Kestrel and moto.</summary>
public class SqsdEndpointContractTests
{
    private MotoServer _moto = null!;
    private WorkerTestHost _host = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _moto = await MotoServer.StartAsync();
        _host = await WorkerTestHost.StartAsync(_moto, extraUrl: NonLoopbackAddress() is { } address ? $"http://{address}:0" : null);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _host.DisposeAsync();
        await _moto.DisposeAsync();
    }

    [Test]
    public async Task A_delivered_job_runs_through_hangfire_and_is_answered_200_after_its_outcome_is_recorded()
    {
        var key = Guid.NewGuid().ToString();
        var jobId = _host.Client.Enqueue<CountingJobs>(j => j.Count(key));

        var response = await _host.DeliverAsync(await _host.ReceiveAsync());

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _host.StateOf(jobId).Should().Be(SucceededState.StateName, "200 comes only after the outcome is durable");
        CountingJobs.RunsOf(key).Should().Be(1);
        var details = _host.Storage.GetMonitoringApi().JobDetails(jobId);
        details.History.Select(h => h.StateName).Should().ContainInOrder(SucceededState.StateName, ProcessingState.StateName, EnqueuedState.StateName);
        details.History.Single(h => h.StateName == ProcessingState.StateName).Data["ServerId"].Should().NotBeNullOrEmpty("a real announced server ran it");
        (await _host.QueueAttributesAsync())["ApproximateNumberOfMessages"].Should().Be("0");
    }

    [Test]
    public async Task A_body_sent_chunked_without_content_length_is_read_whole()
    {
        // sqsd sends Content-Length; a proxy may re-frame the body as chunks. Both read paths must see the same bytes.
        var key = Guid.NewGuid().ToString();
        var jobId = _host.Client.Enqueue<CountingJobs>(j => j.Count(key));

        var response = await _host.DeliverAsync(await _host.ReceiveAsync(), request =>
        {
            var body = System.Text.Encoding.UTF8.GetBytes(request.Content!.ReadAsStringAsync().GetAwaiter().GetResult());
            request.Content = new StreamContent(new TrickleStream(body));
            request.Headers.TransferEncodingChunked = true;
        });

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _host.StateOf(jobId).Should().Be(SucceededState.StateName);
        CountingJobs.RunsOf(key).Should().Be(1);
    }

    /// <summary>A read-only stream that hands out at most 7 bytes per read, so the body arrives in many chunks.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 7));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 7)]);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => base.ReadAsync(buffer, offset, Math.Min(count, 7), cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => base.ReadAsync(buffer[..Math.Min(buffer.Length, 7)], cancellationToken);
    }

    [Test]
    public async Task A_duplicate_of_a_finished_job_is_acknowledged_without_running()
    {
        var key = Guid.NewGuid().ToString();
        var jobId = _host.Client.Enqueue<CountingJobs>(j => j.Count(key));
        var message = await _host.ReceiveAsync();
        (await _host.DeliverAsync(message)).StatusCode.Should().Be(HttpStatusCode.OK);

        var duplicate = await _host.Http.SendAsync(WorkerTestHost.SqsdRequest(message.Body, message.MessageAttributes.ToDictionary(a => a.Key, a => a.Value.StringValue)));

        duplicate.StatusCode.Should().Be(HttpStatusCode.OK);
        CountingJobs.RunsOf(key).Should().Be(1);
        _host.StateOf(jobId).Should().Be(SucceededState.StateName);
    }

    [Test]
    public async Task A_message_for_a_job_deleted_from_the_dashboard_is_acknowledged_and_does_not_run()
    {
        var key = Guid.NewGuid().ToString();
        var jobId = _host.Client.Enqueue<CountingJobs>(j => j.Count(key));
        _host.Client.Delete(jobId);

        (await _host.DeliverAsync(await _host.ReceiveAsync())).StatusCode.Should().Be(HttpStatusCode.OK);

        CountingJobs.RunsOf(key).Should().Be(0);
        _host.StateOf(jobId).Should().Be(DeletedState.StateName);
        _host.Storage.GetMonitoringApi().EnqueuedJobs("default", 0, 1000).Select(j => j.Key).Should().NotContain(jobId, "the Enqueued page forgets it");
    }

    [Test]
    public async Task The_same_job_delivered_twice_at_once_runs_once_and_the_duplicate_gets_409()
    {
        var key = Guid.NewGuid().ToString();
        var jobId = _host.Client.Enqueue<CountingJobs>(j => j.Hold(key));
        var message = await _host.ReceiveAsync();
        var attributes = message.MessageAttributes.ToDictionary(a => a.Key, a => a.Value.StringValue);

        var first = _host.Http.SendAsync(WorkerTestHost.SqsdRequest(message.Body, attributes));
        await Eventually.True(() => CountingJobs.RunsOf(key) == 1, "the first delivery to start the job");
        var second = await _host.Http.SendAsync(WorkerTestHost.SqsdRequest(message.Body, attributes, receiveCount: 2));

        second.StatusCode.Should().Be(HttpStatusCode.Conflict);
        CountingJobs.Gates[key].Release();
        (await first).StatusCode.Should().Be(HttpStatusCode.OK);
        CountingJobs.RunsOf(key).Should().Be(1);
        _host.StateOf(jobId).Should().Be(SucceededState.StateName);
        await _host.Sqs.DeleteMessageAsync(_host.QueueUrl(), message.ReceiptHandle);
    }

    [Test]
    public async Task Failing_jobs_are_acknowledged_once_their_retry_or_failure_is_recorded()
    {
        var key = Guid.NewGuid().ToString();
        var retried = _host.Client.Enqueue<CountingJobs>(j => j.FailTwice(key));
        (await _host.DeliverAsync(await _host.ReceiveAsync())).StatusCode.Should().Be(HttpStatusCode.OK);
        _host.StateOf(retried).Should().Be(ScheduledState.StateName, "AutomaticRetry scheduled a retry");

        var retry = await _host.ReceiveAsync(TimeSpan.FromSeconds(30));
        retry.MessageAttributes[MessageAttributeNames.Retry].StringValue.Should().Be("1");
        retry.MessageAttributes.Should().ContainKey(MessageAttributeNames.Due);
        await _host.Sqs.DeleteMessageAsync(_host.QueueUrl(), retry.ReceiptHandle);
        _host.Client.Delete(retried);

        var doomed = Guid.NewGuid().ToString();
        var failed = _host.Client.Enqueue<CountingJobs>(j => j.AlwaysFail(doomed));
        (await _host.DeliverAsync(await _host.ReceiveAsync())).StatusCode.Should().Be(HttpStatusCode.OK);
        _host.StateOf(failed).Should().Be(FailedState.StateName);
    }

    [Test]
    public async Task Missing_wrong_and_retired_signatures_are_refused_with_403_before_parsing()
    {
        var key = Guid.NewGuid().ToString();
        var jobId = _host.Client.Enqueue<CountingJobs>(j => j.Count(key));
        var message = await _host.ReceiveAsync();
        var attributes = message.MessageAttributes.ToDictionary(a => a.Key, a => a.Value.StringValue);

        var unsigned = attributes.Where(a => a.Key != MessageAttributeNames.Signature).ToDictionary();
        (await _host.Http.SendAsync(WorkerTestHost.SqsdRequest(message.Body, unsigned))).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var altered = message.Body.Replace(jobId, jobId + "0", StringComparison.Ordinal);
        (await _host.Http.SendAsync(WorkerTestHost.SqsdRequest(altered, attributes))).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var retried = new Dictionary<string, string>(attributes) { [MessageAttributeNames.Retry] = "9" };
        (await _host.Http.SendAsync(WorkerTestHost.SqsdRequest(message.Body, retried))).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var garbage = "{\"v\":1,\"job\":{\"Type\":\"System.Diagnostics.Process, System\",\"Method\":\"Start\",\"ParameterTypes\":\"[\\\"System.String\\\"]\",\"Arguments\":\"[\\\"\\\\\\\"sh\\\\\\\"\\\"]\"}}";
        (await _host.Http.SendAsync(WorkerTestHost.SqsdRequest(garbage, new Dictionary<string, string> { [MessageAttributeNames.JobId] = jobId, [MessageAttributeNames.Signature] = "v1:k1:AAAA" })))
            .StatusCode.Should().Be(HttpStatusCode.Forbidden);

        CountingJobs.RunsOf(key).Should().Be(0);
        (await _host.DeliverAsync(message)).StatusCode.Should().Be(HttpStatusCode.OK, "the genuine message still runs");
        CountingJobs.RunsOf(key).Should().Be(1);
    }

    [Test]
    public async Task A_signed_but_malformed_envelope_is_400()
    {
        var jobId = _host.Client.Enqueue<CountingJobs>(j => j.Count(Guid.NewGuid().ToString()));
        await _host.DeliverAsync(await _host.ReceiveAsync());
        var (_, attributes) = _host.SignedMessage(jobId, body: "not json at all");

        // Re-sign the broken body with the real key, as a buggy producer holding the key would.
        var signature = _host.Storage.Signer.Sign(System.Text.Encoding.UTF8.GetBytes("not json at all"), n => attributes.GetValueOrDefault(n));
        attributes[MessageAttributeNames.Signature] = signature;
        var response = await _host.Http.SendAsync(WorkerTestHost.SqsdRequest("not json at all", attributes));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("not a JSON object");
    }

    [Test]
    public async Task Requests_not_from_sqsd_pass_to_the_rest_of_the_app()
    {
        using var request = WorkerTestHost.SqsdRequest("{}", new Dictionary<string, string>());
        request.Headers.Remove("User-Agent");
        request.Headers.TryAddWithoutValidation("User-Agent", "curl/8.5");

        (await _host.Http.SendAsync(request)).StatusCode.Should().BeOneOf(HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed);
    }

    [Test]
    public async Task A_spoofed_forwarded_for_or_a_non_loopback_peer_is_refused_with_403()
    {
        using var spoofed = WorkerTestHost.SqsdRequest("{}", new Dictionary<string, string>());
        spoofed.Headers.Add("X-Forwarded-For", "203.0.113.9");
        (await _host.Http.SendAsync(spoofed)).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var address = NonLoopbackAddress();
        address.Should().NotBeNull("this machine needs a non-loopback IPv4 address for this test");
        var remoteUrl = _host.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First(a => a.Contains(address!, StringComparison.Ordinal));
        using var remote = new HttpClient { BaseAddress = new Uri(remoteUrl) };
        using var request = WorkerTestHost.SqsdRequest("{}", new Dictionary<string, string>());
        (await remote.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    private static string? NonLoopbackAddress()
        => System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))?.ToString();
}
