using System.Diagnostics;
using Hangfire.ElasticSqs.Testing;
using Microsoft.Playwright;

namespace Hangfire.ElasticSqs.Topology.Tests;

/// <summary>
/// The web process's Dashboard in a real browser: Debian's headless Chromium driven by Playwright for .NET (its driver
/// ships in the NuGet package with its own node; no browser is ever downloaded). Every page a user visits, with a
/// screenshot of each under <c>artifacts/screenshots/</c>, and a failed job requeued with a click and seen to succeed.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DashboardBrowserTests
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private static Topology T => Topology.Current;

    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IPage _page = null!;
    private string _screenshots = null!;
    private readonly List<string> _saved = [];

    [OneTimeSetUp]
    public async Task LaunchChromium()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Fail($"Chromium is not installed at {ChromiumPath}: the Dashboard browser test needs Debian's package (`apt-get install chromium`; .ci/run installs it when absent).");
        }

        _screenshots = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");
        Directory.CreateDirectory(_screenshots);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });
        _page = await _browser.NewPageAsync(new BrowserNewPageOptions
        {
            ViewportSize = new ViewportSize { Width = 1440, Height = 1000 },
            HttpCredentials = new HttpCredentials { Username = DashboardClient.Username, Password = DashboardClient.Password },
        });
        _page.SetDefaultTimeout(30_000);
        _page.Dialog += async (_, dialog) => await dialog.AcceptAsync(); // "Do you really want to …?" confirmations
    }

    [OneTimeTearDown]
    public async Task CloseChromium()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_saved.Count > 0)
        {
            TestContext.Progress.WriteLine($"Dashboard screenshots ({_saved.Count}) in {_screenshots}: {string.Join(", ", _saved)}");
        }
    }

    [Test]
    public async Task Every_Dashboard_page_shows_the_worker_tiers_work_and_a_failed_job_requeued_with_a_click_succeeds()
    {
        var dashboard = T.Dashboard;

        // Jobs in every state, enqueued through the web process's API.
        var succeeded = await dashboard.PostApiAsync("/reports/21");
        var import = (await dashboard.PostApiAsync("/imports?file=customers.csv"))["job"];
        var webhook = (await dashboard.PostApiAsync("/webhooks?url=https%3A%2F%2Fhooks.example.com%2Forders"))["job"];
        var scheduled = (await dashboard.PostApiAsync("/cleanup?delaySeconds=3600"))["job"];
        var deleted = (await dashboard.PostApiAsync("/cleanup?delaySeconds=1800"))["job"];
        using (var delete = await dashboard.PostFormAsync("/hangfire/jobs/scheduled/delete", [new("jobs[]", deleted)]))
        {
            delete.IsSuccessStatusCode.Should().BeTrue();
        }

        await JobPage.WaitForAsync(dashboard, succeeded["notify"], "Succeeded");
        await JobPage.WaitForAsync(dashboard, import, "Failed");
        await Eventually.Until(() => JobPage.LoadAsync(dashboard, webhook), p => p.Current == "Scheduled" && p.States[0].Text.Contains("Retry attempt 1 of 5", StringComparison.Ordinal),
            $"webhook job {webhook} waiting for its retry");

        // Long exports take every worker slot: they are Processing, their continuations Awaiting, and one more report
        // waits Enqueued until a slot frees.
        var exports = new List<Dictionary<string, string>>();
        for (var i = 0; i < Topology.WorkerConcurrency; i++)
        {
            exports.Add(await dashboard.PostApiAsync($"/exports/{100 + i}?seconds=20"));
        }

        foreach (var export in exports)
        {
            await JobPage.WaitForAsync(dashboard, export["export"], "Processing");
        }

        var waiting = await dashboard.PostApiAsync("/reports/22");
        var window = Stopwatch.StartNew();

        // Pages whose contents are transient come first, while the exports still run.
        await VisitAsync("jobs-processing", "/hangfire/jobs/processing", [.. exports.Select(e => "#" + e["export"]), Topology.WorkerServerName, "ExportJobs.Build"]);
        await VisitAsync("jobs-enqueued", "/hangfire/jobs/enqueued", ["default", "#" + waiting["report"]]);
        await VisitAsync("jobs-enqueued-default", "/hangfire/jobs/enqueued/default", ["#" + waiting["report"], "ReportJobs.Render"]);
        await VisitAsync("jobs-awaiting", "/hangfire/jobs/awaiting", ["#" + waiting["notify"], "EmailJobs.NotifyReportReady", .. exports.Select(e => "#" + e["publish"]), "ExportJobs.Publish"]);
        await VisitAsync("servers", "/hangfire/servers", [Topology.WorkerServerName, "default"]);
        var home = await VisitAsync("home", "/hangfire", ["Realtime Graph", "History Graph"]);
        home.Should().NotContain("No active servers", "the web tier shares PostgreSQL with the live worker tier");
        window.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20), "the transient pages were captured while the exports ran");

        await VisitAsync("jobs-scheduled", "/hangfire/jobs/scheduled", ["#" + scheduled, "CleanupJobs.PurgeExpiredSessions"]);
        await VisitAsync("jobs-succeeded", "/hangfire/jobs/succeeded", ["#" + succeeded["report"], "#" + succeeded["notify"], "ReportJobs.Render"]);
        await VisitAsync("jobs-failed", "/hangfire/jobs/failed", ["#" + import, "ImportJobs.Import", "Upload customers.csv has not arrived yet"]);
        await VisitAsync("jobs-deleted", "/hangfire/jobs/deleted", ["#" + deleted]);
        await VisitAsync("retries", "/hangfire/retries", ["#" + webhook, "WebhookJobs.Deliver", "Retry attempt 1 of 5"]);
        await VisitAsync("recurring-jobs", "/hangfire/recurring", ["heartbeat", "* * * * *", "HeartbeatJobs.Beat", "Next execution", "Last execution"]);
        var sqs = await VisitAsync("sqs", "/hangfire/elasticsqs/sqs", ["hangfire-topology", T.QueueUrl, "hangfire-topology-dlq", "Visible", "In flight", "Delayed", "Dead letters"]);
        sqs.Should().NotContainAny(["Error", "error"], "the SQS page reaches SQS");
        await VisitAsync("job-continuation-chain", $"/hangfire/jobs/details/{waiting["report"]}", ["Continuations", "#" + waiting["notify"]]);

        // Requeue the failed import from the Failed page: tick it, click "Requeue jobs"; the worker runs it again.
        await _page.GotoAsync(Url("/hangfire/jobs/failed"));
        await _page.CheckAsync($"input.js-jobs-list-checkbox[value='{import}']");
        await _page.ClickAsync("button.js-jobs-list-command:has-text('Requeue jobs')");
        var requeued = await JobPage.WaitForAsync(dashboard, import, "Succeeded");
        requeued.Path.Should().Equal(["Enqueued", "Processing", "Failed", "Enqueued", "Processing", "Succeeded"], requeued.ToString());
        var details = await VisitAsync("job-requeued-succeeded", $"/hangfire/jobs/details/{import}", ["ImportJobs.Import", "Succeeded", "Failed", "Triggered via Dashboard UI", Topology.WorkerServerName]);
        details.Should().Contain("FileNotFoundException", "the first attempt's exception stays in the history");

        foreach (var export in exports)
        {
            await JobPage.WaitForAsync(dashboard, export["publish"], "Succeeded", TimeSpan.FromSeconds(60));
        }

        await JobPage.WaitForAsync(dashboard, waiting["notify"], "Succeeded", TimeSpan.FromSeconds(60));
        _saved.Should().HaveCount(15);
    }

    /// <summary>Opens a Dashboard page in Chromium, checks what it shows, saves its screenshot; returns the page's visible text.</summary>
    private async Task<string> VisitAsync(string name, string path, IReadOnlyList<string> expected)
    {
        var response = await _page.GotoAsync(Url(path), new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        response.Should().NotBeNull();
        response!.Status.Should().Be(200, "GET {0} in the browser", path);
        var text = await _page.InnerTextAsync("body");
        var file = Path.Combine(_screenshots, $"{_saved.Count + 1:00}-{name}.png");
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
        _saved.Add(Path.GetFileName(file));
        // Case-insensitive: the Dashboard's CSS upper-cases server names (text-uppercase), and innerText reflects it.
        text.ToUpperInvariant().Should().ContainAll(expected.Select(e => e.ToUpperInvariant()), "the {0} page ({1}) shows it; screenshot {2}", name, path, file);
        return text;
    }

    private static string Url(string path) => new Uri(T.Dashboard.BaseAddress, path).ToString();

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
}
