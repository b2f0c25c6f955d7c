using System.Net;
using System.Text;
using Hangfire.Common;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Reliability.Tests.Support;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Reliability.Tests.Scenarios;

/// <summary>
/// Hostile input to the sqsd endpoint (docs/http-contract.md): every request is refused with the documented status,
/// and none reaches Hangfire's type resolver or runs a job — counted with a type resolver that records every call.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HostileInputTests : ScenarioTest
{
    protected override string Scenario => "Hostile input";

    [Test]
    public async Task Every_hostile_request_is_refused_with_its_documented_status_and_reaches_no_type_resolver_or_job()
    {
        var address = SqsdRequests.NonLoopbackAddress();
        address.Should().NotBeNull("this machine needs a non-loopback IPv4 address to test remote peers");
        var remotePort = FreePort.Next();
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs);
        var keys = new Keys();
        var log = ExecutionLog.Create();
        await using var worker = await InProcessWorker.StartAsync(InProcessWorker.Settings_(Fixture.Moto, queues.Prefix, keys) with { ExtraUrls = [$"http://{address}:{remotePort}"] });
        using var http = new HttpClient { BaseAddress = worker.Url, Timeout = TimeSpan.FromSeconds(30) };
        using var remote = new HttpClient { BaseAddress = new Uri($"http://{address}:{remotePort}"), Timeout = TimeSpan.FromSeconds(30) };

        // A genuine job message of this worker's store: every hostile variant is derived from it.
        var jobId = new BackgroundJobClient(worker.Storage).Enqueue(() => ProbeJobs.Run(log.Directory, "genuine", 0));
        var message = await SqsdRequests.ReceiveAsync(sqs, queues.Url);
        var body = Encoding.UTF8.GetBytes(message.Body);
        var attributes = SqsdRequests.Attributes(message);
        Dictionary<string, string> With(string name, string? value)
        {
            var copy = new Dictionary<string, string>(attributes, StringComparer.Ordinal);
            if (value is null)
            {
                copy.Remove(name);
            }
            else
            {
                copy[name] = value;
            }

            return copy;
        }

        var retired = new MessageSigner(new Dictionary<string, string> { ["k0"] = new Keys().Current }, "k0");
        var retiredSignature = retired.Sign(body, n => attributes.GetValueOrDefault(n));
        var wrongSignature = "v1:" + keys.CurrentId + ":" + Convert.ToBase64String(new byte[32]);
        var processStart = "{\"v\":1,\"jobId\":\"" + jobId + "\",\"queue\":\"default\",\"store\":\"x\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"job\":\"{\\\"t\\\":\\\"System.Diagnostics.Process, System.Diagnostics.Process\\\",\\\"m\\\":\\\"Start\\\",\\\"p\\\":[\\\"System.String\\\"],\\\"a\\\":[\\\"\\\\\\\"/bin/sh\\\\\\\"\\\"]}\"}";
        var huge = new byte[(1024 * 1024) + 1];
        Array.Fill(huge, (byte)'a');
        var invalidUtf8 = new byte[] { 0xC3, 0x28, 0xA0, 0xA1, 0xE2, 0x28, 0xA1, 0xF0, 0x28, 0x8C, 0xBC, 0xFF, 0xFE };
        var dueAdded = With(MessageAttributeNames.Due, DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        var malformedSigned = Encoding.UTF8.GetBytes("{\"v\":1,\"truncated");
        var malformedAttributes = With(MessageAttributeNames.Signature, worker.Storage.Signer.Sign(malformedSigned, n => attributes.GetValueOrDefault(n)));

        var cases = new List<(string Name, Func<HttpRequestMessage> Request, HttpClient Client, HttpStatusCode[] Expected)>
        {
            ("no signature", () => SqsdRequests.Create(body, With(MessageAttributeNames.Signature, null)), http, [HttpStatusCode.Forbidden]),
            ("wrong signature", () => SqsdRequests.Create(body, With(MessageAttributeNames.Signature, wrongSignature)), http, [HttpStatusCode.Forbidden]),
            ("garbage signature", () => SqsdRequests.Create(body, With(MessageAttributeNames.Signature, "v1:k2:%%%not-base64")), http, [HttpStatusCode.Forbidden]),
            ("signature from a retired/unknown key", () => SqsdRequests.Create(body, With(MessageAttributeNames.Signature, retiredSignature)), http, [HttpStatusCode.Forbidden]),
            ("body altered after signing", () => SqsdRequests.Create(Encoding.UTF8.GetBytes(message.Body.Replace("\"default\"", "\"critical\"", StringComparison.Ordinal)), attributes), http, [HttpStatusCode.Forbidden]),
            ("job-id attribute altered", () => SqsdRequests.Create(body, With(MessageAttributeNames.JobId, jobId + "1")), http, [HttpStatusCode.Forbidden]),
            ("job-id attribute removed", () => SqsdRequests.Create(body, With(MessageAttributeNames.JobId, null)), http, [HttpStatusCode.Forbidden]),
            ("re-sent with a changed retry count", () => SqsdRequests.Create(body, With(MessageAttributeNames.Retry, "7"), receiveCount: 2), http, [HttpStatusCode.Forbidden]),
            ("due attribute added", () => SqsdRequests.Create(body, dueAdded), http, [HttpStatusCode.Forbidden]),
            ("truncated body", () => SqsdRequests.Create(body[..(body.Length / 2)], attributes), http, [HttpStatusCode.Forbidden]),
            ("garbage body", () => SqsdRequests.Create(Encoding.UTF8.GetBytes("}}{{\0garbage"), attributes), http, [HttpStatusCode.Forbidden]),
            ("empty body", () => SqsdRequests.Create([], attributes), http, [HttpStatusCode.Forbidden]),
            ("huge body (1 MiB + 1)", () => SqsdRequests.Create(huge, attributes), http, [HttpStatusCode.BadRequest]),
            ("invalid UTF-8", () => SqsdRequests.Create(invalidUtf8, attributes), http, [HttpStatusCode.Forbidden]),
            ("Process.Start payload, no signature", () => SqsdRequests.Create(processStart, new Dictionary<string, string> { [MessageAttributeNames.JobId] = jobId }), http, [HttpStatusCode.Forbidden]),
            ("Process.Start payload, forged signature", () => SqsdRequests.Create(processStart, With(MessageAttributeNames.Signature, wrongSignature)), http, [HttpStatusCode.Forbidden]),
            ("signed by the real key but malformed", () => SqsdRequests.Create(malformedSigned, malformedAttributes), http, [HttpStatusCode.BadRequest]),
            ("valid message from a non-loopback peer", () => SqsdRequests.Create(body, attributes), remote, [HttpStatusCode.Forbidden]),
            ("non-loopback peer, spoofed X-Forwarded-For 127.0.0.1", () => Add(SqsdRequests.Create(body, attributes), "X-Forwarded-For", "127.0.0.1"), remote, [HttpStatusCode.Forbidden]),
            ("loopback peer, X-Forwarded-For from outside", () => Add(SqsdRequests.Create(body, attributes), "X-Forwarded-For", "203.0.113.9"), http, [HttpStatusCode.Forbidden]),
            ("missing User-Agent", () => SqsdRequests.Create(body, attributes, userAgent: null), http, [HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed]),
            ("wrong User-Agent (curl)", () => SqsdRequests.Create(body, attributes, userAgent: "curl/8.5"), http, [HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed]),
            ("User-Agent merely containing aws-sqsd", () => SqsdRequests.Create(body, attributes, userAgent: "evil aws-sqsd/3.0"), http, [HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed]),
            ("periodic task naming an unregistered job", () => SqsdRequests.PeriodicTask("no-such-recurring-job"), http, [HttpStatusCode.NotFound]),
            ("periodic task naming a type, not a job", () => SqsdRequests.PeriodicTask("System.Diagnostics.Process"), http, [HttpStatusCode.NotFound]),
        };

        var resolved = new List<string>();
        var original = TypeHelper.CurrentTypeResolver;
        var results = new List<string>();
        var wrong = new List<string>();
        TypeHelper.CurrentTypeResolver = name =>
        {
            lock (resolved)
            {
                resolved.Add(name);
            }

            return original(name);
        };
        try
        {
            foreach (var (name, request, client, expected) in cases)
            {
                using var sent = request();
                using var response = await client.SendAsync(sent);
                results.Add($"{name}: {(int)response.StatusCode}");
                if (!expected.Contains(response.StatusCode))
                {
                    wrong.Add($"{name}: got {(int)response.StatusCode}, expected {string.Join("/", expected.Select(e => (int)e))}");
                }
            }
        }
        finally
        {
            TypeHelper.CurrentTypeResolver = original;
        }

        var resolverCallsDuringHostile = resolved.Count;
        var runsDuringHostile = log.Starts("genuine");
        var stateAfterHostile = worker.StateOf(jobId);

        // The genuine message still runs (and does go through the type resolver: the counter works).
        TypeHelper.CurrentTypeResolver = name =>
        {
            lock (resolved)
            {
                resolved.Add(name);
            }

            return original(name);
        };
        HttpStatusCode genuine;
        try
        {
            using var response = await http.SendAsync(SqsdRequests.Create(body, attributes));
            genuine = response.StatusCode;
        }
        finally
        {
            TypeHelper.CurrentTypeResolver = original;
        }

        await sqs.DeleteMessageAsync(queues.Url, message.ReceiptHandle);
        Checks = $"{cases.Count} hostile requests (bad/missing/retired signature, altered body and attributes, changed retry count, truncated/garbage/empty/huge/invalid UTF-8 bodies, Process.Start payload, non-loopback peer, spoofed X-Forwarded-For, missing/wrong User-Agent, unregistered periodic tasks): documented status, zero type-resolver calls, job not run; genuine message then runs once";
        Numbers = $"{cases.Count - wrong.Count}/{cases.Count} as documented (403×{results.Count(r => r.EndsWith(": 403", StringComparison.Ordinal))}, 400×{results.Count(r => r.EndsWith(": 400", StringComparison.Ordinal))}, 404/405×{results.Count(r => r.EndsWith(": 404", StringComparison.Ordinal) || r.EndsWith(": 405", StringComparison.Ordinal))}); type-resolver calls {resolverCallsDuringHostile}; job runs {runsDuringHostile}; genuine {(int)genuine} after {resolved.Count - resolverCallsDuringHostile} resolver calls";
        await TestContext.Progress.WriteLineAsync("Hostile input: " + string.Join("; ", results));

        wrong.Should().BeEmpty();
        resolverCallsDuringHostile.Should().Be(0, "nothing hostile may reach a type resolver: {0}", string.Join(", ", resolved));
        runsDuringHostile.Should().Be(0);
        stateAfterHostile.Should().Be("Enqueued");
        genuine.Should().Be(HttpStatusCode.OK);
        resolved.Count.Should().BeGreaterThan(resolverCallsDuringHostile, "the genuine delivery resolves the job's type, so the counter is live");
        log.Starts("genuine").Should().Be(1);
        worker.StateOf(jobId).Should().Be("Succeeded");
        log.Delete();
        Passed();
    }

    private static HttpRequestMessage Add(HttpRequestMessage request, string header, string value)
    {
        request.Headers.TryAddWithoutValidation(header, value);
        return request;
    }
}
