using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Hangfire.ElasticSqs.Sample;

/// <summary>
/// With <c>Sample:Telemetry=console</c>, exports the <c>Hangfire.ElasticSqs</c> meter and activity source (and the
/// ASP.NET Core request spans, so one trace shows request → enqueue → SQS → job) to the console. The library itself
/// only uses System.Diagnostics; OpenTelemetry is the application's choice.
/// </summary>
internal static class SampleTelemetry
{
    private const string Source = "Hangfire.ElasticSqs";

    public static void AddIfAsked(WebApplicationBuilder builder)
    {
        if (!string.Equals(builder.Configuration[SampleApp.TelemetryKey], "console", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(Source).AddAspNetCoreInstrumentation().AddConsoleExporter())
            .WithMetrics(metrics => metrics.AddMeter(Source).AddConsoleExporter());
    }
}
