using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Amazon.Runtime;
using Hangfire.ElasticSqs.Pipeline;

namespace Hangfire.ElasticSqs.Diagnostics;

/// <summary>
/// The library's metrics (<see cref="Meter"/> "Hangfire.ElasticSqs") and traces (<see cref="ActivitySource"/>
/// "Hangfire.ElasticSqs"), plain System.Diagnostics so that any exporter (OpenTelemetry, dotnet-counters) can listen.
/// One instance per storage carries its off switches; the instruments themselves are process-wide, as .NET expects.
/// Every hook is a cheap no-op when switched off or when nothing listens.
/// </summary>
internal sealed class ElasticSqsTelemetry : IDisposable
{
    public const string Name = "Hangfire.ElasticSqs";

    public const string EnqueueActivity = "elasticsqs.enqueue";
    public const string ProcessActivity = "elasticsqs.process";

    private static readonly string? s_version = typeof(ElasticSqsTelemetry).Assembly.GetName().Version?.ToString();
    private static readonly Meter s_meter = new(Name, s_version);
    private static readonly ActivitySource s_source = new(Name, s_version);
    private static readonly ConcurrentDictionary<ElasticSqsTelemetry, Func<long>> s_pending = new();

    private static readonly Counter<long> s_received = s_meter.CreateCounter<long>("hangfire.elasticsqs.jobs.received", "{message}", "Job messages delivered to this process, by host (sqsd, poll, lambda).");
    private static readonly Counter<long> s_completed = s_meter.CreateCounter<long>("hangfire.elasticsqs.jobs.completed", "{message}", "Job messages done with, by host and outcome (completed, redelayed, skipped, already_processing, unavailable, malformed, unrunnable, forbidden).");
    private static readonly Histogram<double> s_handOffWait = s_meter.CreateHistogram<double>("hangfire.elasticsqs.handoff.wait", "s", "Time from a job's delivery to a Hangfire worker taking it.");
    private static readonly Histogram<double> s_jobDuration = s_meter.CreateHistogram<double>("hangfire.elasticsqs.job.duration", "s", "Time a Hangfire worker held a delivered job, until its outcome was recorded or it was given back, by host and outcome.");
    private static readonly Histogram<double> s_sendDuration = s_meter.CreateHistogram<double>("hangfire.elasticsqs.send.duration", "s", "Latency of SendMessage and SendMessageBatch calls.");
    private static readonly Histogram<int> s_batchSize = s_meter.CreateHistogram<int>("hangfire.elasticsqs.send.batch_size", "{message}", "Messages per send call.");
    private static readonly Counter<long> s_sqsErrors = s_meter.CreateCounter<long>("hangfire.elasticsqs.sqs.errors", "{error}", "Failed SQS calls, by operation (send, receive, read) and kind (SQS error code or exception type).");
    private static readonly Counter<long> s_emptyReceives = s_meter.CreateCounter<long>("hangfire.elasticsqs.receives.empty", "{call}", "Poll-mode ReceiveMessage calls that returned no message, by Hangfire queue.");

    static ElasticSqsTelemetry()
    {
        s_meter.CreateObservableGauge(
            "hangfire.elasticsqs.outbox.pending",
            static () => s_pending.Select(p => new Measurement<long>(Safely(p.Value))).Where(m => m.Value >= 0),
            "{send}",
            "Sends stored in the outbox and not yet accepted by SQS.");
    }

    public ElasticSqsTelemetry(bool metrics, bool tracing)
    {
        Metrics = metrics;
        Tracing = tracing;
    }

    public bool Metrics { get; }

    public bool Tracing { get; }

    /// <summary>Reports the outbox's pending sends through the gauge until disposed.</summary>
    public void ObservePending(Func<long> pendingCount)
    {
        if (Metrics)
        {
            s_pending[this] = pendingCount;
        }
    }

    public void Received(string host)
    {
        if (Metrics && s_received.Enabled)
        {
            s_received.Add(1, new KeyValuePair<string, object?>("host", host));
        }
    }

    public void Finished(string host, DeliveryStatus status)
    {
        if (Metrics && s_completed.Enabled)
        {
            s_completed.Add(1, new KeyValuePair<string, object?>("host", host), new KeyValuePair<string, object?>("outcome", OutcomeName(status)));
        }
    }

    public void HandOffWaited(string host, TimeSpan wait)
    {
        if (Metrics && s_handOffWait.Enabled)
        {
            s_handOffWait.Record(wait.TotalSeconds, new KeyValuePair<string, object?>("host", host));
        }
    }

    public void JobHeld(string host, DeliveryStatus outcome, TimeSpan duration)
    {
        if (Metrics && s_jobDuration.Enabled)
        {
            s_jobDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("host", host), new KeyValuePair<string, object?>("outcome", OutcomeName(outcome)));
        }
    }

    public void Sent(int messages, TimeSpan latency)
    {
        if (Metrics)
        {
            s_sendDuration.Record(latency.TotalSeconds);
            s_batchSize.Record(messages);
        }
    }

    public void SqsFailed(string operation, Exception exception)
    {
        if (Metrics && s_sqsErrors.Enabled)
        {
            s_sqsErrors.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("kind", KindOf(exception)));
        }
    }

    public void EmptyReceive(string hangfireQueue)
    {
        if (Metrics && s_emptyReceives.Enabled)
        {
            s_emptyReceives.Add(1, new KeyValuePair<string, object?>("queue", hangfireQueue));
        }
    }

    /// <summary>
    /// A short producer span for an enqueue, child of the caller's current span (the web request); its id is the
    /// <c>traceparent</c> the message carries. Without a listener, the caller's own span id is carried instead.
    /// </summary>
    public string? EnqueueTraceParent(string jobId, string queue)
    {
        if (!Tracing)
        {
            return null;
        }

        using var activity = s_source.StartActivity(EnqueueActivity, ActivityKind.Producer);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "aws_sqs");
            activity.SetTag("messaging.destination.name", queue);
            activity.SetTag("hangfire.job.id", jobId);
            return activity.Id;
        }

        return Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;
    }

    /// <summary>
    /// The consumer span of a delivered job, child of the enqueue's span when the message carried a valid W3C
    /// <c>traceparent</c>. Started on the Hangfire worker's thread, so the job's own spans nest under it.
    /// </summary>
    public Activity? StartProcess(string host, string? traceParent, string jobId, string queue)
    {
        if (!Tracing || !s_source.HasListeners())
        {
            return null;
        }

        var parent = traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context) ? context : default;
        var activity = s_source.StartActivity(ProcessActivity, ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "aws_sqs");
        activity?.SetTag("messaging.destination.name", queue);
        activity?.SetTag("hangfire.job.id", jobId);
        activity?.SetTag("hangfire.elasticsqs.host", host);
        return activity;
    }

    /// <summary>A W3C traceparent from a verified message, or null when absent or not well formed (it is never trusted further).</summary>
    public static string? ValidTraceParent(string? value)
        => value is { Length: 55 } && ActivityContext.TryParse(value, null, out _) ? value : null;

    public void Dispose() => s_pending.TryRemove(this, out _);

    private static string OutcomeName(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Completed => "completed",
        DeliveryStatus.Leased => "leased",
        DeliveryStatus.Redelayed => "redelayed",
        DeliveryStatus.Skipped => "skipped",
        DeliveryStatus.AlreadyProcessing => "already_processing",
        DeliveryStatus.Unavailable => "unavailable",
        DeliveryStatus.Malformed => "malformed",
        DeliveryStatus.Unrunnable => "unrunnable",
        _ => "forbidden",
    };

    private static string KindOf(Exception exception)
        => exception is AmazonServiceException { ErrorCode: { Length: > 0 } code } ? code : exception.GetBaseException().GetType().Name;

    private static long Safely(Func<long> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return -1;
        }
    }
}
