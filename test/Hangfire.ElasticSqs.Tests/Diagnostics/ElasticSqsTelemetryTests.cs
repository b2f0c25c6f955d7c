using System.Diagnostics;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Diagnostics;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.States;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Hangfire.ElasticSqs.Tests.Diagnostics;

/// <summary>
/// The meter and activity source seen through OpenTelemetry's own SDK and in-memory exporters, over poll mode and moto:
/// one trace from the "web request" that enqueues to the job's own span, and the metrics a dashboard would chart.
/// </summary>
[TestFixture]
[NonParallelizable] // The meter and activity source are process-wide.
public sealed class ElasticSqsTelemetryTests
{
    private SqsTestBed _bed = null!;

    [OneTimeSetUp]
    public async Task StartSqs() => _bed = await SqsTestBed.StartAsync();

    [OneTimeTearDown]
    public async Task StopSqs() => await _bed.DisposeAsync();

    [Test]
    public async Task One_trace_runs_from_the_enqueue_to_the_jobs_own_span_and_the_metrics_count_the_delivery()
    {
        var activities = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource(ElasticSqsTelemetry.Name, TelemetryJobs.SourceName).AddInMemoryExporter(activities).Build();
        using var meter = Sdk.CreateMeterProviderBuilder().AddMeter(ElasticSqsTelemetry.Name).AddInMemoryExporter(metrics).Build();
        var storage = await PollStorageAsync("traced", o => { });
        using var server = Server(storage, "traced");
        var key = Guid.NewGuid().ToString("N");

        string jobId;
        ActivityTraceId requestTrace;
        using (var request = TelemetryJobs.Source.StartActivity("GET /orders", ActivityKind.Server)!)
        {
            requestTrace = request.TraceId;
            jobId = new BackgroundJobClient(storage).Create(() => TelemetryJobs.Traced(key), new EnqueuedState("traced"));
        }

        await Eventually.True(() => TelemetryJobs.Ran.ContainsKey(key), "the job to run");
        await Eventually.True(() => activities.ToArray().Any(a => a.OperationName == ElasticSqsTelemetry.ProcessActivity && a.Tags.Any(t => t.Key == "hangfire.job.id" && t.Value == jobId)), "the consumer span to end");
        var spans = activities.ToArray();
        var enqueue = spans.Single(a => a.OperationName == ElasticSqsTelemetry.EnqueueActivity && a.TraceId == requestTrace);
        var process = spans.Single(a => a.OperationName == ElasticSqsTelemetry.ProcessActivity && a.TraceId == requestTrace);
        var job = spans.Single(a => a.OperationName == "job work" && a.TraceId == requestTrace);
        enqueue.Kind.Should().Be(ActivityKind.Producer);
        process.Kind.Should().Be(ActivityKind.Consumer);
        process.ParentSpanId.Should().Be(enqueue.SpanId, "the consumer continues the trace the message carried");
        job.ParentSpanId.Should().Be(process.SpanId, "the job's own spans nest under the consumer span");
        process.Tags.Should().Contain(new KeyValuePair<string, string?>("hangfire.elasticsqs.host", "poll"));

        await Eventually.True(
            () =>
            {
                meter.ForceFlush();
                return Sum(metrics, "hangfire.elasticsqs.jobs.completed", ("host", "poll"), ("outcome", "completed")) >= 1;
            },
            "the completed job to be counted");
        Sum(metrics, "hangfire.elasticsqs.jobs.received", ("host", "poll")).Should().BeGreaterThanOrEqualTo(1);
        HistogramCount(metrics, "hangfire.elasticsqs.job.duration", ("host", "poll")).Should().BeGreaterThanOrEqualTo(1);
        HistogramCount(metrics, "hangfire.elasticsqs.handoff.wait", ("host", "poll")).Should().BeGreaterThanOrEqualTo(1);
        HistogramCount(metrics, "hangfire.elasticsqs.send.batch_size").Should().BeGreaterThanOrEqualTo(1);
        HistogramCount(metrics, "hangfire.elasticsqs.send.duration").Should().BeGreaterThanOrEqualTo(1);
        metrics.Should().Contain(m => m.Name == "hangfire.elasticsqs.outbox.pending", "the pending-sends gauge is observed");
    }

    [Test]
    public async Task Switched_off_nothing_is_recorded_and_no_trace_context_is_sent()
    {
        var activities = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource(ElasticSqsTelemetry.Name, TelemetryJobs.SourceName).AddInMemoryExporter(activities).Build();
        using var meter = Sdk.CreateMeterProviderBuilder().AddMeter(ElasticSqsTelemetry.Name).AddInMemoryExporter(metrics).Build();
        var storage = await PollStorageAsync("quiet", o =>
        {
            o.EnableMetrics = false;
            o.EnableTracing = false;
        });

        meter.ForceFlush();
        var sendsBefore = HistogramCount(metrics, "hangfire.elasticsqs.send.batch_size");
        using (TelemetryJobs.Source.StartActivity("GET /orders", ActivityKind.Server))
        {
            new BackgroundJobClient(storage).Create(() => TelemetryJobs.Traced("never run"), new EnqueuedState("quiet"));
        }

        await storage.BackgroundSends.WhenIdleAsync();
        var message = (await _bed.DrainAsync("quiet", 1)).Single();
        message.MessageAttributes.Should().NotContainKey(MessageAttributeNames.TraceParent);
        meter.ForceFlush();
        activities.Should().NotContain(a => a.Source.Name == ElasticSqsTelemetry.Name);
        HistogramCount(metrics, "hangfire.elasticsqs.send.batch_size").Should().Be(sendsBefore, "this storage's send is not recorded");
    }

    [Test]
    public async Task A_message_carries_the_enqueuers_trace_context_as_an_unsigned_attribute_within_the_attribute_limit()
    {
        var storage = await PollStorageAsync("carried", o => { });
        using var request = new Activity("GET /orders").SetIdFormat(ActivityIdFormat.W3C).Start(); // no listener: the caller's own id travels

        new BackgroundJobClient(storage).Create(() => TelemetryJobs.Traced("never run"), new EnqueuedState("carried"));
        await storage.BackgroundSends.WhenIdleAsync();

        var message = (await _bed.DrainAsync("carried", 1)).Single();
        message.MessageAttributes[MessageAttributeNames.TraceParent].StringValue.Should().Be(request.Id);
        message.MessageAttributes.Count.Should().BeLessThanOrEqualTo(10, "SQS refuses messages with more than 10 attributes");
        SqsTestBed.Verifies(message, storage.Options.SigningKeys, TestKeys.CurrentId).Should().BeTrue();
    }

    private static long Sum(List<Metric> metrics, string name, params (string Key, string Value)[] tags)
        => Points(metrics, name, tags).Sum(p => p.GetSumLong());

    private static long HistogramCount(List<Metric> metrics, string name, params (string Key, string Value)[] tags)
        => Points(metrics, name, tags).Sum(p => p.GetHistogramCount());

    private static IEnumerable<MetricPoint> Points(List<Metric> metrics, string name, (string Key, string Value)[] tags)
    {
        // The in-memory exporter keeps every export; cumulative temporality means the latest export holds the totals.
        var metric = metrics.LastOrDefault(m => m.Name == name);
        if (metric is null)
        {
            yield break;
        }

        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var pointTags = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in point.Tags)
            {
                pointTags[tag.Key] = tag.Value;
            }

            if (tags.All(t => pointTags.TryGetValue(t.Key, out var v) && Equals(v, t.Value)))
            {
                yield return point;
            }
        }
    }

    private static BackgroundJobServer Server(ElasticSqsStorage storage, string queue)
        => new(new BackgroundJobServerOptions
        {
            Queues = [queue],
            WorkerCount = 1,
            ShutdownTimeout = TimeSpan.FromSeconds(5),
            Activator = new JobActivator(), // Other test classes' hosts set JobActivator.Current to their own (disposed) containers.
        }, storage);

    private async Task<ElasticSqsStorage> PollStorageAsync(string queue, Action<ElasticSqsStorageOptions> configure)
    {
        var url = await _bed.CreateQueueAsync(queue);
        return _bed.CreateStorage(o =>
        {
            o.ReceiveFromSqs = true;
            o.Queues[queue] = url;
            configure(o);
        });
    }
}

/// <summary>Jobs of the telemetry tests.</summary>
public static class TelemetryJobs
{
    public const string SourceName = "Hangfire.ElasticSqs.Tests.Jobs";

    public static readonly ActivitySource Source = new(SourceName);

    public static System.Collections.Concurrent.ConcurrentDictionary<string, bool> Ran { get; } = new(StringComparer.Ordinal);

    public static void Traced(string key)
    {
        using (Source.StartActivity("job work"))
        {
            Ran[key] = true;
        }
    }
}
