using System.Net;
using Amazon.SQS.Model;
using Hangfire.Dashboard;
using Hangfire.ElasticSqs.Operations;
using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Hangfire.ElasticSqs.Tests.Dashboard;

/// <summary>
/// The dead-letters page in Debian's headless Chromium (Playwright drives /usr/bin/chromium; no browser is downloaded),
/// over Kestrel and moto: reached from the SQS page, lists without arguments, Redrive and Delete work with a click, and
/// the commands refuse cross-site and unauthorized requests. Screenshots go to <c>artifacts/screenshots/</c>.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DeadLettersPageTests
{
    private const string ChromiumPath = "/usr/bin/chromium";

    [Test]
    public async Task Dead_letters_are_listed_redriven_and_deleted_from_the_dashboard()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Fail($"Chromium is not installed at {ChromiumPath}: this test needs Debian's package (`apt-get install chromium`).");
        }

        await using var bed = await SqsTestBed.StartAsync();
        var storage = bed.CreateStorage();
        await new QueueSetup(bed.Sqs, new QueueSettings(30, 1)).ApplyAsync(new QueueTarget("default", bed.Prefix + "default"), CancellationToken.None);
        var url = (await bed.Sqs.GetQueueUrlAsync(bed.Prefix + "default")).QueueUrl;
        var dlqUrl = (await bed.Sqs.GetQueueUrlAsync(bed.Prefix + "default-dlq")).QueueUrl;
        var jobId = new BackgroundJobClient(storage).Enqueue(() => TestJobs.Carry("the-secret-argument"));
        await storage.BackgroundSends.WhenIdleAsync();
        await bed.Sqs.SendMessageAsync(dlqUrl, "poison");
        await Eventually.Until(
            async () =>
            {
                await bed.Sqs.ReceiveMessageAsync(new ReceiveMessageRequest(url) { VisibilityTimeout = 0, WaitTimeSeconds = 0 });
                return (await bed.Sqs.GetQueueAttributesAsync(dlqUrl, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages;
            },
            count => count == 2,
            "the job's message to reach the dead-letter queue");

        await using var app = await StartDashboardAsync(storage);
        var baseUrl = app.Urls.First();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            Timeout = 60_000,
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        page.SetDefaultTimeout(30_000);
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();

        await page.GotoAsync(baseUrl + "/hangfire/elasticsqs/sqs");
        await page.ClickAsync("a.dead-letters-link");
        await page.WaitForSelectorAsync("#dead-letters");
        await ScreenshotAsync(page, "dead-letters-list");
        var table = await page.InnerTextAsync("#dead-letters");
        table.Should().Contain("TestJobs.Carry").And.Contain("no signature").And.NotContain("the-secret-argument");
        (await page.ContentAsync()).Should().NotContain("the-secret-argument");

        var jobRow = page.Locator("#dead-letters tbody tr", new PageLocatorOptions { Has = page.Locator($"a[href$='/jobs/details/{jobId}']") });
        await jobRow.Locator("button.redrive").ClickAsync();
        await jobRow.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });
        var redriven = await bed.DrainAsync("default", 1);
        redriven.Single().MessageAttributes["hangfire-job-id"].StringValue.Should().Be(jobId, "Redrive sent the job's message back to its queue");

        await page.Locator("#dead-letters tbody tr button.delete").ClickAsync();
        await page.WaitForSelectorAsync("#no-dead-letters");
        await ScreenshotAsync(page, "dead-letters-empty");
        (await bed.Sqs.GetQueueAttributesAsync(dlqUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])).Attributes.Values.Should().AllBe("0");

        // A cross-site POST has no antiforgery token; a Dashboard whose authorization refuses the caller refuses the command.
        await bed.Sqs.SendMessageAsync(dlqUrl, "poison again");
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        (await http.PostAsync("/hangfire/elasticsqs/dead-letters/default/redrive", null)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var locked = await http.PostAsync("/locked/elasticsqs/dead-letters/default/redrive", null);
        ((int)locked.StatusCode).Should().BeOneOf(401, 403);
        (await http.GetAsync("/locked/elasticsqs/dead-letters/default")).IsSuccessStatusCode.Should().BeFalse();
        (await bed.Sqs.GetQueueAttributesAsync(dlqUrl, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages.Should().Be(1, "nothing was redriven");
    }

    [TearDown]
    public void ForgetTheDisposedHostsLogger()
        => Hangfire.Logging.LogProvider.SetCurrentLogProvider(null); // AddHangfire pointed Hangfire's static logging at the test host's LoggerFactory.

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var directory = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name + ".png"), FullPage = true });
    }

    private static async Task<WebApplication> StartDashboardAsync(ElasticSqsStorage storage)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAntiforgery();
        builder.Services.AddHangfire(c => c.UseElasticSqsStorage(storage));
        var app = builder.Build();
        app.UseHangfireDashboard("/hangfire", new DashboardOptions(), storage);
        app.UseHangfireDashboard("/locked", new DashboardOptions { Authorization = [new DenyAll()] }, storage);
        await app.StartAsync();
        return app;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Hangfire.ElasticSqs.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Hangfire.ElasticSqs.sln above {AppContext.BaseDirectory}");
    }

    private sealed class DenyAll : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => false;
    }
}
