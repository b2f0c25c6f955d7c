using Amazon.SQS;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.LocalSqsd.Tests;

public sealed class HostedLocalSqsdTests : LocalSqsdTestBase
{
    [Test]
    public async Task AddLocalSqsd_runs_the_daemon_as_a_hosted_service_with_the_registered_sqs_client()
    {
        var queueUrl = await CreateQueueAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LocalSqsd:WorkerQueueURL"] = queueUrl,
            ["LocalSqsd:BaseAddress"] = App.BaseAddress.ToString(),
            ["LocalSqsd:HttpPath"] = "/sqsd",
            ["LocalSqsd:ReceiveWaitTimeSeconds"] = "1",
        });
        builder.Services.AddSingleton<IAmazonSQS>(Sqs);
        builder.Services.AddLocalSqsd(builder.Configuration.GetSection("LocalSqsd"));
        using var host = builder.Build();
        await host.StartAsync();

        await Sqs.SendMessageAsync(queueUrl, "hosted");
        var request = (await WaitForRequestsAsync(1))[0];
        await WaitUntilEmptyAsync(queueUrl);
        await host.StopAsync();

        request.Path.Should().Be("/sqsd");
        request.Header("User-Agent").Should().Be("aws-sqsd/3.0.4");
    }

    [Test]
    public async Task Invalid_options_fail_the_host_at_start_up()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IAmazonSQS>(Sqs);
        builder.Services.AddLocalSqsd(options => options.HttpConnections = 101);
        using var host = builder.Build();

        var start = () => host.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Failures.Should().HaveCount(2, "WorkerQueueURL is missing and HttpConnections is out of range");
    }
}
