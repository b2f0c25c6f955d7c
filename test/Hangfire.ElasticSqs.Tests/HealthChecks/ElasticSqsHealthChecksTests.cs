using System.Net;
using Amazon.Runtime;
using Amazon.SQS;
using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.InMemory;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Hangfire.ElasticSqs.Tests.HealthChecks;

/// <summary>The health checks as probes see them: ASP.NET Core's health endpoints over Kestrel, moto and a Hangfire server.</summary>
[TestFixture]
public sealed class ElasticSqsHealthChecksTests
{
    [Test]
    public async Task Liveness_follows_the_hangfire_server_and_readiness_follows_sqs()
    {
        await using var bed = await SqsTestBed.StartAsync();
        await bed.CreateQueueAsync("default");
        var storage = bed.CreateStorage(o => o.ReceiveFromSqs = true);
        await using var app = await StartAsync(storage);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var live = await http.GetAsync("/health/live");
        live.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "no Hangfire server runs in this process yet");
        (await http.GetStringAsync("/health/ready")).Should().Be("Healthy");

        using (new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = 1, ShutdownTimeout = TimeSpan.FromSeconds(5), Activator = new JobActivator() }, storage))
        {
            await Eventually.Until(async () => (await http.GetAsync("/health/live")).StatusCode, s => s == HttpStatusCode.OK, "the started server to make the process live");
        }

        await bed.Moto.StopAsync();
        var ready = await http.GetAsync("/health/ready");
        ready.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await ready.Content.ReadAsStringAsync()).Should().Be("Unhealthy");
    }

    [Test]
    public async Task The_outbox_check_is_degraded_once_a_send_has_waited_longer_than_the_threshold()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var unreachable = new AmazonSQSClient(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig
        {
            ServiceURL = $"http://127.0.0.1:{FreePort.Next()}",
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
        });
        var options = TestKeys.Options(o =>
        {
            o.Queues["default"] = "http://127.0.0.1:1/000000000000/nowhere";
            o.EnableOutboxSweeper = false;
        });
        using var storage = new ElasticSqsStorage(new InMemoryStorage(), options, unreachable, timeProvider: time);
        await using var services = new ServiceCollection().AddLogging().AddSingleton<JobStorage>(storage).AddSingleton<TimeProvider>(time)
            .AddHealthChecks().AddElasticSqs(hangfireServer: false, outboxStuckAfter: TimeSpan.FromMinutes(5)).Services.BuildServiceProvider();
        var health = services.GetRequiredService<HealthCheckService>();

        new BackgroundJobClient(storage).Enqueue(() => TestJobs.Work(1)); // SQS unreachable: kept pending in the outbox
        await storage.BackgroundSends.WhenIdleAsync();
        (await health.CheckHealthAsync(r => r.Name == "elasticsqs-outbox")).Entries["elasticsqs-outbox"].Status.Should().Be(HealthStatus.Healthy);

        time.Advance(TimeSpan.FromMinutes(6));
        var report = (await health.CheckHealthAsync(r => r.Name == "elasticsqs-outbox")).Entries["elasticsqs-outbox"];
        report.Status.Should().Be(HealthStatus.Degraded);
        report.Description.Should().Contain("1 send(s) pending for more than 5 min");
        (await health.CheckHealthAsync(r => r.Name == "elasticsqs-sqs")).Entries["elasticsqs-sqs"].Status.Should().Be(HealthStatus.Unhealthy);
    }

    [TearDown]
    public void ForgetTheDisposedHostsLogger()
        => Hangfire.Logging.LogProvider.SetCurrentLogProvider(null); // AddHangfire pointed Hangfire's static logging at the test host's LoggerFactory.

    private static async Task<WebApplication> StartAsync(ElasticSqsStorage storage)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<JobStorage>(storage);
        builder.Services.AddHealthChecks().AddElasticSqs();
        var app = builder.Build();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = r => r.Tags.Contains(ElasticSqsHealthCheckBuilderExtensions.LiveTag) });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = r => r.Tags.Contains(ElasticSqsHealthCheckBuilderExtensions.ReadyTag) });
        await app.StartAsync();
        return app;
    }
}
