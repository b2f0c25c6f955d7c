using Amazon;
using Amazon.Runtime;
using Amazon.SQS;
using Hangfire.ElasticSqs.Worker.Tests.Delivery;
using Hangfire.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.Worker.Tests.Http;

public class WorkerOptionsValidationTests
{
    [Test]
    public async Task Invalid_worker_options_stop_the_host_at_start_with_every_problem_together()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        using var sqs = new AmazonSQSClient(new AnonymousAWSCredentials(), RegionEndpoint.USEast1); // never called: start stops first
        var storageOptions = new ElasticSqsStorageOptions { SigningKeyId = WorkerTestHost.KeyId };
        storageOptions.SigningKeys[WorkerTestHost.KeyId] = WorkerTestHost.Key;
        storageOptions.Queues["default"] = "worker";
        using var storage = new ElasticSqsStorage(new InMemoryStorage(), storageOptions, sqs);
        builder.Services.AddSingleton<JobStorage>(storage);
        builder.Services.AddHangfireElasticSqsWorker(o =>
        {
            o.WorkerCount = 0;
            o.ExtraUserAgentPrefixes.Add(" ");
            o.TrustedGatewayAddresses.Add("172.17.0.1");
        });
        using var host = builder.Build();

        var start = () => host.StartAsync();

        var failures = (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Failures.ToList();
        failures.Should().HaveCount(3);
        failures.Should().Contain(f => f.StartsWith("WorkerCount must be between 1 and 1,000", StringComparison.Ordinal));
        failures.Should().Contain(f => f.StartsWith("ExtraUserAgentPrefixes has an empty prefix", StringComparison.Ordinal));
        failures.Should().Contain(f => f.StartsWith("TrustedGatewayAddresses is set but TrustDockerGateway is off", StringComparison.Ordinal));
    }
}
