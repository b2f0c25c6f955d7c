using System.Globalization;
using Hangfire.Dashboard;
using Hangfire.Dashboard.Pages;
using Hangfire.ElasticSqs.Operations;

namespace Hangfire.ElasticSqs.Dashboard;

/// <summary>
/// The dead letters of one Hangfire queue's SQS dead-letter queue: message id, job, method, receive count, first
/// receipt and the reason where known, never the job's arguments; with Redrive (back to the queue) and Delete.
/// </summary>
internal sealed class DeadLettersPage(string hangfireQueue) : RazorPage
{
    private const int Limit = 100;

    public override void Execute()
    {
        Layout = new LayoutPage("Dead letters");
        WriteLiteral("<div class=\"row\"><div class=\"col-md-12\"><h1 class=\"page-header\">Dead letters: ");
        Write(hangfireQueue);
        WriteLiteral("</h1>");
        if (Storage is not ElasticSqsStorage storage)
        {
            WriteLiteral("<div class=\"alert alert-info\">This Dashboard's storage is not ElasticSqsStorage.</div></div></div>");
            return;
        }

        WriteLiteral($"<p><a href=\"{Url.To(ElasticSqsDashboard.PagePath)}\">&larr; SQS</a></p>");
        DeadLetterQueue? dlq;
        IReadOnlyList<DeadLetter> letters;
        try
        {
            dlq = DeadLetterQueue.FindAsync(storage, hangfireQueue, CancellationToken.None).GetAwaiter().GetResult();
            letters = dlq?.ListAsync(Limit, CancellationToken.None).GetAwaiter().GetResult() ?? [];
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            storage.Monitor.RecordError($"reading dead letters of queue '{hangfireQueue}'", ex);
            WriteLiteral("<div class=\"alert alert-danger\" id=\"dead-letters-error\">The dead-letter queue cannot be read: ");
            Write(ex.GetBaseException().Message);
            WriteLiteral("</div></div></div>");
            return;
        }

        if (dlq is null)
        {
            WriteLiteral("<div class=\"alert alert-warning\">This queue has no dead-letter queue (no redrive policy): <code>elasticsqs queues create</code> sets one up.</div></div></div>");
            return;
        }

        var basePath = DeadLettersDashboard.PathOf(hangfireQueue);
        WriteLiteral("<p>Dead-letter queue <strong>");
        Write(dlq.Name);
        WriteLiteral("</strong>");
        if (dlq.MaxReceiveCount is { } max)
        {
            Write($" (messages land here after {max} deliveries without completing)");
        }

        WriteLiteral(". Listing a message counts as a receive; the job's arguments are never shown.</p>");
        if (letters.Count == 0)
        {
            WriteLiteral("<div class=\"alert alert-success\" id=\"no-dead-letters\">No dead letters.</div></div></div>");
            return;
        }

        WriteLiteral($"<p><button class=\"btn btn-sm btn-primary\" id=\"redrive-all\" data-ajax=\"{Url.To(basePath + "/redrive")}\" data-confirm=\"Send every dead letter back to the queue?\">Redrive all</button></p>");
        WriteLiteral("<div class=\"table-responsive\"><table class=\"table table-striped\" id=\"dead-letters\"><thead><tr><th>Message</th><th>Job</th><th>Method</th><th>Receives</th><th>First received</th><th>Reason</th><th></th></tr></thead><tbody>");
        foreach (var letter in letters)
        {
            WriteLiteral("<tr data-message=\"");
            Write(letter.MessageId);
            WriteLiteral("\"><td><code>");
            Write(letter.MessageId);
            WriteLiteral("</code></td><td>");
            if (letter.JobId is { } jobId)
            {
                WriteLiteral($"<a href=\"{Url.JobDetails(jobId)}\">");
                Write(jobId);
                WriteLiteral("</a>");
            }
            else
            {
                WriteLiteral("<span class=\"text-muted\">unverified</span>");
            }

            WriteLiteral("</td><td>");
            Write(letter.Method ?? "–");
            WriteLiteral("</td><td>");
            Write(letter.ReceiveCount.ToString(CultureInfo.InvariantCulture));
            WriteLiteral("</td><td>");
            Write(letter.FirstReceivedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "–");
            WriteLiteral("</td><td class=\"dead-letter-reason\">");
            Write(letter.Reason);
            WriteLiteral("</td><td class=\"text-nowrap\">");
            var id = Uri.EscapeDataString(letter.MessageId);
            WriteLiteral($"<button class=\"btn btn-xs btn-default redrive\" data-ajax=\"{Url.To(basePath + "/redrive/" + id)}\" data-confirm=\"Send this message back to the queue?\">Redrive</button> ");
            WriteLiteral($"<button class=\"btn btn-xs btn-danger delete\" data-ajax=\"{Url.To(basePath + "/delete/" + id)}\" data-confirm=\"Delete this message for good?\">Delete</button>");
            WriteLiteral("</td></tr>");
        }

        WriteLiteral("</tbody></table></div>");
        if (letters.Count >= Limit)
        {
            Write($"Showing the first {Limit}; redrive or delete them to see more.");
        }

        WriteLiteral("</div></div>");
    }
}
