using System.Net;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.ElasticSqs.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Tests.Dashboard;

/// <summary>The Dashboard's SQS page over a real Kestrel and moto: metrics per queue, and SQS failures contained.</summary>
public class SqsDashboardPageTests
{
    [Test]
    public async Task The_sqs_page_shows_each_queue_with_counts_and_its_dead_letter_queue_and_survives_an_outage()
    {
        await using var bed = await SqsTestBed.StartAsync();
        var deadLetterUrl = await bed.CreateQueueAsync("default-dlq");
        var deadLetterArn = (await bed.Sqs.GetQueueAttributesAsync(deadLetterUrl, ["QueueArn"])).QueueARN;
        var url = await bed.CreateQueueAsync("default");
        await bed.Sqs.SetQueueAttributesAsync(url, new Dictionary<string, string>
        {
            ["RedrivePolicy"] = $"{{\"deadLetterTargetArn\":\"{deadLetterArn}\",\"maxReceiveCount\":\"3\"}}",
        });
        await bed.Sqs.SendMessageAsync(deadLetterUrl, "poison");
        var storage = bed.CreateStorage();
        var client = new BackgroundJobClient(storage);
        client.Enqueue(() => TestJobs.Work(1));
        client.Enqueue(() => TestJobs.Work(2));
        client.Schedule(() => TestJobs.Work(3), TimeSpan.FromMinutes(5));
        await storage.BackgroundSends.WhenIdleAsync(); // enqueues return before their messages are sent

        await using var app = await StartDashboardAsync(storage);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var page = await http.GetStringAsync("/hangfire/elasticsqs/sqs");
        page.Should().Contain("<h1 class=\"page-header\">SQS</h1>");
        page.Should().Contain(url).And.Contain(bed.Prefix + "default");
        Cell(page, "visible").Should().Be("2");
        Cell(page, "delayed").Should().Be("1");
        Cell(page, "dead-letters").Should().Be("1");
        page.Should().Contain(bed.Prefix + "default-dlq");
        (await http.GetStringAsync("/hangfire")).Should().Contain("elasticsqs/sqs", "the menu links to the page");

        await bed.Moto.StopAsync();
        await Eventually.Until(
            () => http.GetStringAsync("/hangfire/elasticsqs/sqs"),
            html => html.Contains("sqs-last-error", StringComparison.Ordinal),
            "the page to show the SQS error once its cache expires");
        (await http.GetAsync("/hangfire/jobs/enqueued")).StatusCode.Should().Be(HttpStatusCode.OK, "an SQS outage never breaks the rest of the Dashboard");
        (await http.GetAsync("/hangfire")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [TearDown]
    public void ForgetTheDisposedHostsLogger()
        => Hangfire.Logging.LogProvider.SetCurrentLogProvider(null); // AddHangfire pointed Hangfire's static logging at the test host's LoggerFactory.

    private static string Cell(string html, string name)
    {
        var marker = $"<td class=\"sqs-{name}\">";
        var start = html.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        return html[start..html.IndexOf("</td>", start, StringComparison.Ordinal)];
    }

    private static async Task<WebApplication> StartDashboardAsync(ElasticSqsStorage storage)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddHangfire(c => c.UseElasticSqsStorage(storage));
        var app = builder.Build();
        app.UseHangfireDashboard("/hangfire", new DashboardOptions(), storage);
        await app.StartAsync();
        return app;
    }
}
