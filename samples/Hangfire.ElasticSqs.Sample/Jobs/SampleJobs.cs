using Hangfire.Server;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.Sample.Jobs;

// The job classes are registered in the container (see SampleApp) and take their dependencies by constructor, so
// every run goes through ASP.NET Core DI activation exactly as in a real application. Hangfire passes the running
// job's PerformContext for a parameter of that type; callers pass null in the expression.

/// <summary>Renders a report: a plain fire-and-forget job (also the parent of a continuation).</summary>
public sealed class ReportJobs(JobJournal journal, ILogger<ReportJobs> logger)
{
    public const string Kind = "report";

    public void Render(int reportId, PerformContext? context)
        => journal.Record(JobId(context), Kind, _ => logger.LogInformation("Rendered report {ReportId}", reportId));

    internal static string JobId(PerformContext? context)
        => context?.BackgroundJob.Id ?? throw new InvalidOperationException("Hangfire passes the PerformContext when the job runs.");
}

/// <summary>Sends e-mail through a flaky provider: the first two attempts of every job fail, the third succeeds.</summary>
public sealed class EmailJobs(JobJournal journal, ILogger<EmailJobs> logger)
{
    public const string Kind = "email";
    public const int FailingAttempts = 2;

    // Short delays so the demo sees the retries within seconds; each retry travels as a delayed SQS message.
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = new[] { 1 })]
    public void Send(string to, PerformContext? context)
        => journal.Record(ReportJobs.JobId(context), Kind, attempt =>
        {
            if (attempt <= FailingAttempts)
            {
                throw new SmtpUnavailableException($"SMTP server did not answer (attempt {attempt} for {to})");
            }

            logger.LogInformation("Sent e-mail to {To} on attempt {Attempt}", to, attempt);
        });

    /// <summary>The continuation: tells the requester their report is ready, after the report job succeeded.</summary>
    public void NotifyReportReady(int reportId, PerformContext? context)
        => journal.Record(ReportJobs.JobId(context), NotifyKind, _ => logger.LogInformation("Report {ReportId} is ready", reportId));

    public const string NotifyKind = "continuation";
}

/// <summary>Charges a card that is always declined: one retry, then the job ends Failed.</summary>
public sealed class BillingJobs(JobJournal journal)
{
    public const string Kind = "always-fails";

    [AutomaticRetry(Attempts = 1, DelaysInSeconds = new[] { 1 }, OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    public void Charge(string invoice, PerformContext? context)
        => journal.Record(ReportJobs.JobId(context), Kind, attempt =>
            throw new PaymentDeclinedException($"Card declined for invoice {invoice} (attempt {attempt})"));
}

/// <summary>Cleans up expired sessions later: the delayed job (<c>BackgroundJob.Schedule</c>).</summary>
public sealed class CleanupJobs(JobJournal journal, ILogger<CleanupJobs> logger)
{
    public const string Kind = "delayed";

    public void PurgeExpiredSessions(PerformContext? context)
        => journal.Record(ReportJobs.JobId(context), Kind, _ => logger.LogInformation("Purged expired sessions"));
}

/// <summary>The recurring job: run by Elastic Beanstalk's cron.yaml through sqsd, never by a Hangfire scheduler here.</summary>
public sealed class HeartbeatJobs(JobJournal journal, ILogger<HeartbeatJobs> logger)
{
    public const string Kind = "recurring";
    public const string RecurringJobId = "heartbeat";

    public void Beat(PerformContext? context)
        => journal.Record(ReportJobs.JobId(context), Kind, _ => logger.LogInformation("Heartbeat"));
}

public sealed class SmtpUnavailableException(string message) : Exception(message);

public sealed class PaymentDeclinedException(string message) : Exception(message);

/// <summary>
/// Builds an export for a while: the long-running job (its server shows on the Dashboard's Processing page) and the
/// parent of a continuation that stays Awaiting meanwhile. Stops early when the job is deleted or the server stops.
/// </summary>
public sealed class ExportJobs(JobJournal journal, ILogger<ExportJobs> logger)
{
    public const string Kind = "export";
    public const string PublishKind = "export-publish";

    public void Build(int exportId, int seconds, PerformContext? context, CancellationToken cancellationToken)
        => journal.Record(ReportJobs.JobId(context), Kind, _ =>
        {
            Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken).GetAwaiter().GetResult();
            logger.LogInformation("Built export {ExportId} in {Seconds} s", exportId, seconds);
        });

    public void Publish(int exportId, PerformContext? context)
        => journal.Record(ReportJobs.JobId(context), PublishKind, _ => logger.LogInformation("Published export {ExportId}", exportId));
}

/// <summary>Delivers a webhook to an endpoint that is down: its retries wait minutes, so it stays on the Retries page.</summary>
public sealed class WebhookJobs(JobJournal journal)
{
    public const string Kind = "webhook";

    [AutomaticRetry(Attempts = 5, DelaysInSeconds = new[] { 600 })]
    public void Deliver(string url, PerformContext? context)
        => journal.Record(ReportJobs.JobId(context), Kind, attempt =>
            throw new HttpRequestException($"Webhook endpoint {url} refused the connection (attempt {attempt})"));
}

/// <summary>
/// Imports an uploaded file that is not there yet on the first attempt: no automatic retries, so the job ends Failed
/// at once; an operator's Requeue from the Dashboard then runs it again and it succeeds.
/// </summary>
public sealed class ImportJobs(JobJournal journal, ILogger<ImportJobs> logger)
{
    public const string Kind = "import";

    [AutomaticRetry(Attempts = 0)]
    public void Import(string file, PerformContext? context)
        => journal.Record(ReportJobs.JobId(context), Kind, attempt =>
        {
            if (attempt == 1)
            {
                throw new FileNotFoundException($"Upload {file} has not arrived yet (attempt {attempt}); requeue the job once it has.", file);
            }

            logger.LogInformation("Imported {File} on attempt {Attempt}", file, attempt);
        });
}
