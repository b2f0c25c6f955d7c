using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Topology.Tests;

/// <summary>
/// The web and worker processes on one PostgreSQL database and one SQS server: every job kind of the demo, enqueued
/// through the web process's API, runs on the worker process (fed by the local sqsd), and the web process's Dashboard —
/// read over HTTP, the HTML a user sees — shows each in the right state with its history. Dashboard actions taken on the
/// web process travel through SQS and are carried out by the worker.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class TopologyTests
{
    private static Topology T => Topology.Current;

    private static DashboardClient Dashboard => T.Dashboard;

    [Test]
    public async Task Every_job_kind_of_the_demo_runs_on_the_worker_and_the_web_Dashboard_shows_its_history()
    {
        var report = await Dashboard.PostApiAsync("/reports/7");
        var email = (await Dashboard.PostApiAsync("/emails?to=ada%40example.com"))["job"];
        var charge = (await Dashboard.PostApiAsync("/invoices/INV-1001/charge"))["job"];
        var cleanup = (await Dashboard.PostApiAsync("/cleanup?delaySeconds=3"))["job"];
        await T.FirePeriodicTaskNowAsync("heartbeat");

        // Fire-and-forget: enqueued by the web process, processed by the worker's server, succeeded.
        var parent = await JobPage.WaitForAsync(Dashboard, report["report"], "Succeeded");
        parent.Path.Should().Equal(["Enqueued", "Processing", "Succeeded"], parent.ToString());
        ProcessedByWorker(parent);
        parent.Text.Should().Contain("Continuations").And.Contain("#" + report["notify"], "the parent's page lists its continuation");

        // Continuation: Awaiting its parent, enqueued when the parent succeeded, then run on the worker.
        var notify = await JobPage.WaitForAsync(Dashboard, report["notify"], "Succeeded");
        notify.Path.Should().Equal(["Awaiting", "Enqueued", "Processing", "Succeeded"], notify.ToString());
        notify.StatesNamed("Awaiting").Single().Text.Should().Contain("Parent #" + report["report"]).And.Contain("OnlyOnSucceededState");
        ProcessedByWorker(notify);

        // Delayed: Scheduled (a delayed SQS message), not run before its time, then processed on the worker. The delayed
        // message itself is the enqueue, so the job goes from Scheduled straight to Processing.
        var delayed = await JobPage.WaitForAsync(Dashboard, cleanup, "Succeeded");
        delayed.Path.Should().Equal(["Scheduled", "Processing", "Succeeded"], delayed.ToString());
        var enqueueAt = EnqueueAt(delayed.StatesNamed("Scheduled").Single());
        delayed.States[0].At.Should().NotBeNull().And.BeOnOrAfter(enqueueAt.AddSeconds(-1), "a delayed job never runs early (to the second shown)");
        ProcessedByWorker(delayed);

        // Fails twice, then succeeds: both failures with their exception, both retries scheduled, the third attempt succeeds.
        var retried = await JobPage.WaitForAsync(Dashboard, email, "Succeeded");
        retried.StatesNamed("Failed").Should().HaveCount(2, retried.ToString())
            .And.AllSatisfy(s => s.Text.Should().Contain("SmtpUnavailableException").And.Contain("SMTP server did not answer"));
        retried.StatesNamed("Scheduled").Select(s => s.Text).Should().Satisfy(
            s => s.Contains("Retry attempt 1 of 3", StringComparison.Ordinal),
            s => s.Contains("Retry attempt 2 of 3", StringComparison.Ordinal));
        retried.StatesNamed("Processing").Should().HaveCount(3, retried.ToString());
        ProcessedByWorker(retried);

        // Always fails: one retry, then Failed for good, with the exception of the last attempt; listed on the Failed page.
        var failed = await JobPage.WaitForAsync(Dashboard, charge, "Failed");
        failed.States[0].Text.Should().Contain("PaymentDeclinedException").And.Contain("Card declined for invoice INV-1001 (attempt 2)");
        failed.StatesNamed("Scheduled").Single().Text.Should().Contain("Retry attempt 1 of 1");
        failed.StatesNamed("Processing").Should().HaveCount(2);
        ProcessedByWorker(failed);
        (await Dashboard.GetTextAsync("/hangfire/jobs/failed")).Should().Contain("#" + charge).And.Contain("BillingJobs.Charge")
            .And.Contain("Card declined for invoice INV-1001 (attempt 2)");

        // Recurring via cron.yaml: the periodic task went through the queue and the local sqsd; the Recurring Jobs page
        // shows the last execution (a job that succeeded on the worker) and the next one.
        var recurring = await Eventually.Until(() => RecurringAsync("heartbeat"), r => r.LastJobId is not null, "the heartbeat's last execution on the Recurring Jobs page");
        recurring.Cron.Should().Be("* * * * *");
        var beat = await JobPage.WaitForAsync(Dashboard, recurring.LastJobId!, "Succeeded");
        ProcessedByWorker(beat);
        beat.Text.Should().Contain("RecurringJobId").And.Contain("\"heartbeat\"");
        recurring = await RecurringAsync("heartbeat");
        recurring.LastExecution.Should().NotBeNull();
        recurring.NextExecution.Should().NotBeNull().And.BeAfter(recurring.LastExecution!.Value, "the next execution is shown after the last");
        T.Worker.Output.Should().MatchRegex(@"Periodic task heartbeat triggered recurring job heartbeat as job \d+", "cron.yaml's task reached the worker through sqsd");
    }

    [Test]
    public async Task Requeue_of_a_failed_job_on_the_web_Dashboard_goes_through_SQS_and_the_worker_runs_it()
    {
        var import = (await Dashboard.PostApiAsync("/imports?file=orders.csv"))["job"];
        var failed = await JobPage.WaitForAsync(Dashboard, import, "Failed");
        failed.States[0].Text.Should().Contain("FileNotFoundException").And.Contain("Upload orders.csv has not arrived yet");

        using var requeue = await Dashboard.PostFormAsync("/hangfire/jobs/failed/requeue", [new("jobs[]", import)]);
        requeue.IsSuccessStatusCode.Should().BeTrue($"the Dashboard accepts the Requeue ({requeue.StatusCode})");

        var succeeded = await JobPage.WaitForAsync(Dashboard, import, "Succeeded");
        succeeded.Path.Should().Equal(["Enqueued", "Processing", "Failed", "Enqueued", "Processing", "Succeeded"], succeeded.ToString());
        succeeded.States[2].Text.Should().Contain("Triggered via Dashboard UI", "the second Enqueued state is the Dashboard's Requeue");
        ProcessedByWorker(succeeded);
        await WorkerAnsweredAsync(import, "200", minimum: 2);
    }

    [Test]
    public async Task Deleting_a_scheduled_job_on_the_web_Dashboard_keeps_the_worker_from_running_it_when_its_delayed_message_arrives()
    {
        var cleanup = (await Dashboard.PostApiAsync("/cleanup?delaySeconds=8"))["job"];
        var scheduled = await JobPage.WaitForAsync(Dashboard, cleanup, "Scheduled");
        var enqueueAt = EnqueueAt(scheduled.States[0]);
        (await Dashboard.GetTextAsync("/hangfire/jobs/scheduled")).Should().Contain("#" + cleanup);

        using var delete = await Dashboard.PostFormAsync("/hangfire/jobs/scheduled/delete", [new("jobs[]", cleanup)]);
        delete.IsSuccessStatusCode.Should().BeTrue($"the Dashboard accepts the Delete ({delete.StatusCode})");
        (await JobPage.LoadAsync(Dashboard, cleanup)).Current.Should().Be("Deleted");
        DateTimeOffset.UtcNow.Should().BeBefore(enqueueAt, "the job was deleted before its delayed message was due");

        // The delayed SQS message still arrives at its time: the worker acknowledges it (200, so sqsd deletes it) and
        // skips it — "the job is Deleted: a duplicate delivery, not run".
        await WorkerAnsweredAsync(cleanup, "200 Skipped", minimum: 1, TimeSpan.FromSeconds(30));
        Regex.Matches(T.Worker.Output, $@"job {cleanup} receive \d+: [^\n]*").Select(m => m.Value).Should().AllSatisfy(
            line => line.Should().Contain("200 Skipped"), "no delivery of the deleted job was run");
        DateTimeOffset.UtcNow.Should().BeOnOrAfter(enqueueAt.AddSeconds(-1), "the message arrived when it was due");

        // No wait needed: the worker logs its answer after the decision, and a skipped delivery changes no state, so
        // the job's history is final once the "200 Skipped" line is there.
        var after = await JobPage.LoadAsync(Dashboard, cleanup);
        after.Path.Should().Equal(["Scheduled", "Deleted"], "the worker must not run a job deleted on the Dashboard: " + after);
        (await Dashboard.GetTextAsync("/hangfire/jobs/deleted")).Should().Contain("#" + cleanup);
    }

    [Test]
    public async Task Trigger_of_a_recurring_job_on_the_web_Dashboard_goes_through_SQS_and_the_worker_runs_it()
    {
        // cron.yaml also fires the heartbeat every minute; a run that the worker log shows came from a periodic task is
        // not the Dashboard's, so trigger again (at most a few times) until the new last job is the Dashboard's own.
        for (var attempt = 1; ; attempt++)
        {
            var before = await RecurringAsync("heartbeat");
            using (var trigger = await Dashboard.PostFormAsync("/hangfire/recurring/trigger", [new("jobs[]", "heartbeat")]))
            {
                trigger.IsSuccessStatusCode.Should().BeTrue($"the Dashboard accepts the Trigger ({trigger.StatusCode})");
            }

            // The trigger creates the job in the web process (its last job changes at once); only the worker can run it,
            // as the web process runs no Hangfire server.
            var after = await Eventually.Until(() => RecurringAsync("heartbeat"), r => r.LastJobId is not null && r.LastJobId != before.LastJobId,
                "a new last job of the heartbeat recurring job");
            var triggered = after.LastJobId!;
            var run = await JobPage.WaitForAsync(Dashboard, triggered, "Succeeded");
            if (T.Worker.Output.Contains($"as job {triggered} ", StringComparison.Ordinal) && attempt < 3)
            {
                continue; // that one came from cron.yaml at a minute boundary
            }

            T.Worker.Output.Should().NotContain($"as job {triggered} ", "the run came from the Dashboard's Trigger, not from a cron.yaml periodic task");
            run.Path.Should().Equal(["Enqueued", "Processing", "Succeeded"], run.ToString());
            ProcessedByWorker(run);
            run.Text.Should().Contain("RecurringJobId").And.Contain("\"heartbeat\"");
            await WorkerAnsweredAsync(triggered, "200", minimum: 1);
            return;
        }
    }

    [Test]
    public async Task The_web_Dashboard_shows_the_worker_tier_as_a_live_server_while_deliveries_flow()
    {
        var export = await Dashboard.PostApiAsync("/exports/3?seconds=4");
        var processing = await JobPage.WaitForAsync(Dashboard, export["export"], "Processing");
        ProcessedByWorker(processing);

        // The Processing page names the worker's server; the continuation is Awaiting its parent meanwhile.
        var processingPage = await Dashboard.GetTextAsync("/hangfire/jobs/processing");
        processingPage.Should().Contain("#" + export["export"]).And.Contain(Topology.WorkerServerName).And.Contain("ExportJobs.Build");
        (await Dashboard.GetTextAsync("/hangfire/jobs/awaiting")).Should().Contain("#" + export["publish"]).And.Contain("ExportJobs.Publish");

        // Servers: exactly the worker tier's server (the web tier runs none), with a recent heartbeat.
        var serversHtml = await Dashboard.GetAsync("/hangfire/servers");
        var servers = Rows().Matches(serversHtml).Select(m => m.Value).Where(r => r.Contains("data-moment", StringComparison.Ordinal)).Select(r => (
            Status: ServerStatus().Match(r).Groups[1].Value,
            Name: ServerName().Match(r).Groups[1].Value,
            Heartbeat: Moments().Matches(r).Select(m => DateTimeOffset.FromUnixTimeSeconds(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))).Last())).ToList();
        servers.Should().ContainSingle($"only the worker process runs a Hangfire server: {DashboardClient.ToText(serversHtml)}");
        servers[0].Name.Should().StartWith(Topology.WorkerServerName + ":");
        servers[0].Status.Should().Be("Active");
        servers[0].Heartbeat.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromSeconds(60), "the worker's heartbeat is recent");

        // The web tier only enqueues, yet its home page does not claim that nothing will be processed.
        var home = await Dashboard.GetAsync("/hangfire");
        home.Should().NotContain("No active servers");
        DashboardClient.ToText(await Dashboard.GetAsync("/hangfire/jobs/enqueued")).Should().NotContain("No active servers");

        await JobPage.WaitForAsync(Dashboard, export["export"], "Succeeded");
        await JobPage.WaitForAsync(Dashboard, export["publish"], "Succeeded");
    }

    [Test]
    public async Task The_web_process_runs_no_jobs_and_the_worker_process_serves_no_Dashboard()
    {
        using var http = new HttpClient { BaseAddress = T.Worker.Url };
        using var noDashboard = await http.GetAsync("/hangfire");
        noDashboard.StatusCode.Should().Be(HttpStatusCode.NotFound, "never expose the Dashboard on the worker tier");
        T.Web.Output.Should().NotContain("Rendered report").And.NotContain("Heartbeat", "jobs run on the worker process only");
    }

    private static void ProcessedByWorker(JobPage page)
    {
        var processing = page.StatesNamed("Processing").ToList();
        processing.Should().NotBeEmpty(page.ToString());
        processing.Should().AllSatisfy(s => s.Text.Should().Contain($"Server: {Topology.WorkerServerName}:", "every attempt of {0} ran on the worker tier", page));
    }

    private static DateTimeOffset EnqueueAt(DashboardState scheduled)
    {
        var match = Regex.Match(scheduled.Text, @"Enqueue at: (\d+/\d+/\d+ \d+:\d+:\d+)");
        match.Success.Should().BeTrue($"the Scheduled state shows when it is due: {scheduled}");
        return DateTimeOffset.ParseExact(match.Groups[1].Value, "M/d/yyyy HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    /// <summary>Waits for the worker's log line of a delivery of <paramref name="jobId"/> answered with <paramref name="status"/>.</summary>
    private static Task WorkerAnsweredAsync(string jobId, string status, int minimum, TimeSpan? timeout = null)
        => Eventually.True(() => Regex.Count(T.Worker.Output, $@"job {jobId} receive \d+: {status} ") >= minimum,
            $"{minimum} delivery(ies) of job {jobId} answered {status} by the worker", timeout ?? TimeSpan.FromSeconds(30));

    private sealed record RecurringRow(string Cron, DateTimeOffset? NextExecution, DateTimeOffset? LastExecution, string? LastJobId);

    private static async Task<RecurringRow> RecurringAsync(string id)
    {
        var html = await Dashboard.GetAsync("/hangfire/recurring");
        var row = Rows().Matches(html).Select(m => m.Value).FirstOrDefault(r => r.Contains($"value=\"{id}\"", StringComparison.Ordinal))
            ?? throw new AssertionException($"No recurring job {id} on the Recurring Jobs page: {DashboardClient.ToText(html)}");
        var cells = Cells().Matches(row).Select(m => m.Groups[1].Value).ToList();
        var moments = Moments().Matches(row).Select(m => DateTimeOffset.FromUnixTimeSeconds(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))).ToList();
        var lastJob = JobLink().Match(row);
        var cron = cells.Select(DashboardClient.ToText).FirstOrDefault(c => c.Contains('*', StringComparison.Ordinal)) ?? string.Empty;
        // Columns: Next execution, Last execution, Created — each a moment when set.
        return new RecurringRow(cron, moments.Count >= 1 ? moments[0] : null, moments.Count >= 3 ? moments[1] : null, lastJob.Success ? lastJob.Groups[1].Value : null);
    }

    [GeneratedRegex("<tr[^>]*>.*?</tr>", RegexOptions.Singleline)]
    private static partial Regex Rows();

    [GeneratedRegex("<td[^>]*>(.*?)</td>", RegexOptions.Singleline)]
    private static partial Regex Cells();

    [GeneratedRegex("data-moment=\"(\\d+)\"")]
    private static partial Regex Moments();

    [GeneratedRegex("jobs/details/(\\d+)")]
    private static partial Regex JobLink();

    [GeneratedRegex("glyphicon[^\"]*\" title=\"([^\"]+)\"")]
    private static partial Regex ServerStatus();

    [GeneratedRegex("label-defult[^\"]*\" title=\"([^\"]+)\"")]
    private static partial Regex ServerName();
}
