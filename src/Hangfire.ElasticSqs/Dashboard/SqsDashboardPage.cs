using System.Globalization;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;

namespace Hangfire.ElasticSqs.Dashboard;

/// <summary>
/// The Dashboard's SQS page: per mapped queue its URL and approximate visible / in-flight / delayed counts, its
/// dead-letter queue's count, the outbox's pending sends, and the last error talking to SQS. Read-only.
/// </summary>
internal sealed class SqsDashboardPage : RazorPage
{
    public override void Execute()
    {
        Layout = new LayoutPage("SQS");
        WriteLiteral("<div class=\"row\"><div class=\"col-md-12\"><h1 class=\"page-header\">SQS</h1>");
        if (Storage is not ElasticSqsStorage storage)
        {
            WriteLiteral("<div class=\"alert alert-info\">This Dashboard's storage is not ElasticSqsStorage.</div></div></div>");
            return;
        }

        var snapshot = storage.Monitor.Read();
        if (snapshot.LastError is { } error)
        {
            WriteLiteral("<div class=\"alert alert-danger\" id=\"sqs-last-error\"><strong>Last error talking to SQS</strong> (");
            Write(error.Operation);
            WriteLiteral(", ");
            Write(error.At.ToString("u", CultureInfo.InvariantCulture));
            WriteLiteral("): ");
            Write(error.Message);
            WriteLiteral("</div>");
        }

        WriteLiteral("<p>Pending sends in the outbox (stored, not yet accepted by SQS): <strong id=\"sqs-pending\">");
        Write(snapshot.PendingSends < 0 ? "unknown" : snapshot.PendingSends.ToString(CultureInfo.InvariantCulture));
        WriteLiteral("</strong>. Counts are SQS's approximations, read at ");
        Write(snapshot.ReadAt.ToString("u", CultureInfo.InvariantCulture));
        WriteLiteral("; this page refreshes every 5 seconds.</p>");
        WriteLiteral("<div class=\"table-responsive\"><table class=\"table table-striped\" id=\"sqs-queues\"><thead><tr><th>Hangfire queue</th><th>SQS queue</th><th>Visible</th><th>In flight</th><th>Delayed</th><th>Dead-letter queue</th><th>Dead letters</th><th></th></tr></thead><tbody>");
        foreach (var queue in snapshot.Queues)
        {
            WriteLiteral("<tr data-queue=\"");
            Write(queue.HangfireQueue);
            WriteLiteral("\"><td>");
            Write(queue.HangfireQueue);
            WriteLiteral("</td><td>");
            if (queue.Error is not null)
            {
                WriteLiteral("<span class=\"text-danger\">");
                Write(queue.Error);
                WriteLiteral("</span></td><td colspan=\"6\"></td></tr>");
                continue;
            }

            Write(queue.Name);
            WriteLiteral("<br/><small class=\"text-muted\">");
            Write(queue.Url);
            WriteLiteral("</small></td>");
            Cell(queue.Visible, "visible");
            Cell(queue.InFlight, "in-flight");
            Cell(queue.Delayed, "delayed");
            WriteLiteral("<td>");
            Write(queue.DeadLetterQueueName ?? "none (no redrive policy)");
            WriteLiteral("</td>");
            Cell(queue.DeadLetterVisible, "dead-letters");
            WriteLiteral(queue.DeadLetterQueueName is null ? "<td></td>" : $"<td><a class=\"dead-letters-link\" href=\"{Url.To(DeadLettersDashboard.PathOf(queue.HangfireQueue))}\">Dead letters</a></td>");

            WriteLiteral("</tr>");
        }

        WriteLiteral("</tbody></table></div></div></div>");
        WriteLiteral("<script>setTimeout(function () { window.location.reload(); }, 5000);</script>");
    }

    private void Cell(long? value, string name)
    {
        WriteLiteral($"<td class=\"sqs-{name}\">");
        Write(value?.ToString("N0", CultureInfo.InvariantCulture) ?? "–");
        WriteLiteral("</td>");
    }
}
