using System.Net;
using System.Security.Cryptography;
using Amazon.SQS;
using Hangfire.ElasticSqs.Sample;
using Hangfire.ElasticSqs.Sample.Jobs;
using Hangfire.ElasticSqs.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.EndToEnd.Tests;

/// <summary>
/// The sample split the way Elastic Beanstalk deploys it: a web-role process enqueues through its HTTP API, a
/// worker-role process (with the local sqsd in front of it) runs the jobs. Each has its own in-memory store here, so
/// the worker imports each job from its signed message, as it does when the stores are not shared.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SeparateRolesTests
{
    private MotoServer _moto = null!;
    private AmazonSQSClient _sqs = null!;
    private WebApplication _web = null!;
    private WebApplication _worker = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartBothRoles()
    {
        _moto = await MotoServer.StartAsync();
        _sqs = _moto.CreateClient();
        var queueUrl = (await _sqs.CreateQueueAsync("sample-" + Guid.NewGuid().ToString("N")[..8])).QueueUrl;
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var workerUrl = new Uri($"http://127.0.0.1:{FreePort.Next()}");

        _web = Build("web", "http://127.0.0.1:0", queueUrl, key, extra: []);
        _worker = Build("worker", workerUrl.ToString(), queueUrl, key, extra: new()
        {
            ["LocalSqsd:WorkerQueueURL"] = queueUrl,
            ["LocalSqsd:BaseAddress"] = workerUrl.ToString(),
            ["LocalSqsd:ErrorVisibilityTimeout"] = "1",
            ["LocalSqsd:ReceiveWaitTimeSeconds"] = "1",
            ["LocalSqsd:BatchDeleteDelay"] = "00:00:00.200",
            ["LocalSqsd:DrainTimeout"] = "00:00:05",
            ["Hangfire:ElasticSqs:Worker:CronYamlPath"] = string.Empty,
        });
        await _web.StartAsync();
        await _worker.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_web.Urls.First()) };
    }

    [OneTimeTearDown]
    public async Task StopBothRoles()
    {
        _http?.Dispose();
        foreach (var app in new[] { _web, _worker })
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        _sqs?.Dispose();
        if (_moto is not null)
        {
            await _moto.DisposeAsync();
        }
    }

    [Test]
    public async Task A_job_enqueued_through_the_web_role_runs_on_the_worker_role_with_its_retries()
    {
        using var response = await _http.PostAsync("/emails?to=grace%40example.com", content: null);
        response.StatusCode.Should().Be(HttpStatusCode.OK);

        var journal = _worker.Services.GetRequiredService<JobJournal>();
        var attempts = await Eventually.Until(
            () => journal.AttemptsOfKind(EmailJobs.Kind),
            a => a.Count >= 3,
            "three attempts of the e-mail job on the worker",
            TimeSpan.FromSeconds(45));

        attempts.Should().HaveCount(3);
        attempts.Select(a => a.Succeeded).Should().Equal(false, false, true);
        attempts.Select(a => a.JobId).Distinct().Should().ContainSingle();
        _web.Services.GetRequiredService<JobJournal>().AttemptsOfKind(EmailJobs.Kind).Should().BeEmpty("the web role runs no jobs");

        var storage = _worker.Services.GetRequiredService<JobStorage>();
        await Eventually.True(() =>
        {
            using var connection = storage.GetConnection();
            return connection.GetStateData(attempts[0].JobId)?.Name == "Succeeded";
        }, "the job to be Succeeded in the worker's store");
    }

    [Test]
    public async Task The_web_role_serves_the_dashboard_and_the_worker_role_does_not()
    {
        using var dashboard = await _http.GetAsync("/hangfire");
        dashboard.StatusCode.Should().Be(HttpStatusCode.OK);

        using var workerHttp = new HttpClient { BaseAddress = new Uri(_worker.Urls.First()) };
        using var noDashboard = await workerHttp.GetAsync("/hangfire");
        noDashboard.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public void Roles_are_parsed_from_configuration()
    {
        SampleRoles.Parse("web").Should().Be(new SampleRoles(Web: true, Worker: false));
        SampleRoles.Parse(" worker ").Should().Be(new SampleRoles(Web: false, Worker: true));
        SampleRoles.Parse("web,worker").Should().Be(new SampleRoles(Web: true, Worker: true));
        SampleRoles.Parse(null).Should().Be(new SampleRoles(Web: true, Worker: true));
        FluentActions.Invoking(() => SampleRoles.Parse("web,scheduler")).Should().Throw<InvalidOperationException>().WithMessage("*Sample:Roles*");
    }

    private WebApplication Build(string roles, string url, string queueUrl, string key, Dictionary<string, string?> extra)
        => SampleApp.Build([], builder =>
        {
            var settings = new Dictionary<string, string?>(extra)
            {
                ["urls"] = url,
                [SampleApp.RolesKey] = roles,
                ["Hangfire:ElasticSqs:Queues:default"] = queueUrl,
                ["Hangfire:ElasticSqs:SigningKeyId"] = "e2e",
                ["Hangfire:ElasticSqs:SigningKeys:e2e"] = key,
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Hangfire.AutomaticRetryAttribute"] = "None",
            };
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Services.AddSingleton<IAmazonSQS>(_sqs);
            builder.Logging.ClearProviders();
        });
}
