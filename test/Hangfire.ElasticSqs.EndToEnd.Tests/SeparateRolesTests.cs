using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Amazon.SQS;
using Hangfire.ElasticSqs.Sample;
using Hangfire.ElasticSqs.Sample.Dashboard;
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
    private static readonly string DashboardPassword = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));

    [OneTimeSetUp]
    public async Task StartBothRoles()
    {
        _moto = await MotoServer.StartAsync();
        _sqs = _moto.CreateClient();
        var queueUrl = (await _sqs.CreateQueueAsync("sample-" + Guid.NewGuid().ToString("N")[..8])).QueueUrl;
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var workerUrl = new Uri($"http://127.0.0.1:{FreePort.Next()}");

        _web = Build("web", "http://127.0.0.1:0", queueUrl, key, extra: new()
        {
            [DashboardAuthorization.UsernameKey] = "admin",
            [DashboardAuthorization.PasswordKey] = DashboardPassword,
        });
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
        using var signedIn = SignedInClient();
        using var dashboard = await signedIn.GetAsync("/hangfire");
        dashboard.StatusCode.Should().Be(HttpStatusCode.OK);

        using var workerHttp = new HttpClient { BaseAddress = new Uri(_worker.Urls.First()) };
        using var noDashboard = await workerHttp.GetAsync("/hangfire");
        noDashboard.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task The_dashboard_refuses_clients_forwarded_by_nginx_and_anonymous_ones_and_a_post_without_an_antiforgery_token()
    {
        // What nginx on Elastic Beanstalk sends for an outside client: the peer is 127.0.0.1.
        using var forwarded = new HttpRequestMessage(HttpMethod.Get, "/hangfire");
        forwarded.Headers.Add("X-Forwarded-For", "203.0.113.9");
        forwarded.Headers.Add("X-Real-IP", "203.0.113.9");
        using var forwardedAnswer = await _http.SendAsync(forwarded);
        forwardedAnswer.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        forwardedAnswer.Headers.WwwAuthenticate.ToString().Should().StartWith("Basic");
        (await _http.GetAsync("/hangfire")).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "production admits no anonymous user, local or not");
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/hangfire");
        wrong.Headers.Authorization = Basic("admin", "guess");
        (await _http.SendAsync(wrong)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        // Signed in: a state-changing action needs the antiforgery token the Dashboard's pages carry.
        using var signedIn = SignedInClient();
        var page = await signedIn.GetStringAsync("/hangfire/recurring");
        var header = Regex.Match(page, "<meta name=\"csrf-header\" content=\"([^\"]+)\"").Groups[1].Value;
        var token = System.Net.WebUtility.HtmlDecode(Regex.Match(page, "<meta name=\"csrf-token\" content=\"([^\"]+)\"").Groups[1].Value);
        header.Should().NotBeEmpty("the Dashboard renders the antiforgery token for its scripts");

        using var withoutToken = await signedIn.SendAsync(Trigger());
        withoutToken.IsSuccessStatusCode.Should().BeFalse("a POST without the token is refused");
        var withTokenRequest = Trigger();
        withTokenRequest.Headers.Add(header, token);
        using var withToken = await signedIn.SendAsync(withTokenRequest);
        withToken.IsSuccessStatusCode.Should().BeTrue("the same POST with the page's token is accepted ({0})", withToken.StatusCode);
        await TestContext.Progress.WriteLineAsync($"Dashboard: forwarded {(int)forwardedAnswer.StatusCode}, trigger without token {(int)withoutToken.StatusCode}, with token {(int)withToken.StatusCode}");

        static HttpRequestMessage Trigger()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/hangfire/recurring/trigger")
            {
                Content = new FormUrlEncodedContent([new KeyValuePair<string, string>("jobs[]", "heartbeat")]),
            };
            request.Headers.Add("X-Requested-With", "XMLHttpRequest");
            return request;
        }
    }

    private HttpClient SignedInClient()
    {
        // The default handler keeps cookies: the antiforgery cookie set by a page comes back with the POST.
        var client = new HttpClient { BaseAddress = new Uri(_web.Urls.First()) };
        client.DefaultRequestHeaders.Authorization = Basic("admin", DashboardPassword);
        return client;
    }

    private static System.Net.Http.Headers.AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user + ":" + password)));

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
