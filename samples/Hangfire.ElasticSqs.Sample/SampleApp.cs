using Hangfire.Dashboard;
using Hangfire.ElasticSqs.Sample.Jobs;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;

namespace Hangfire.ElasticSqs.Sample;

/// <summary>
/// The application, configured the way the README tells users: Hangfire on <c>UseElasticSqsStorage</c>, options bound
/// from <c>Hangfire:ElasticSqs</c>, and per role the Dashboard + enqueue API (web) or the worker: the sqsd endpoint, or
/// with <c>Sample:Host=poll</c> the ordinary Hangfire server receiving from SQS.
/// </summary>
public static class SampleApp
{
    public const string RolesKey = "Sample:Roles";
    public const string LocalSqsdSection = "LocalSqsd";
    public const string StorageKey = "Sample:Storage";
    public const string HostKey = "Sample:Host";
    public const string TelemetryKey = "Sample:Telemetry";
    public const string ConnectionStringName = "Hangfire";

    /// <summary>Builds the app; <paramref name="customize"/> lets the demo add configuration and services first.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        customize?.Invoke(builder);
        var roles = SampleRoles.Parse(builder.Configuration[RolesKey]);
        var storage = SampleStorage.Parse(builder.Configuration[StorageKey]);
        var poll = SampleHost.IsPoll(builder.Configuration[HostKey]);

        // Both roles need the storage: the web role enqueues and shows the Dashboard, the worker runs the jobs.
        // The inner storage holds job data and history: in-memory (one process) or PostgreSQL shared by both tiers.
        builder.Services.Configure<ElasticSqsStorageOptions>(builder.Configuration.GetSection("Hangfire:ElasticSqs"));
        if (poll && roles.Worker)
        {
            // Poll mode's one switch: this process's Hangfire server receives its jobs from SQS itself.
            builder.Services.Configure<ElasticSqsStorageOptions>(o => o.ReceiveFromSqs = true);
        }

        // `elasticsqs cron-yaml` runs at build time, without a database: Hangfire.PostgreSql would create its schema when
        // constructed, so that command always uses the in-memory store (the recurring registrations are the same).
        var buildTimeCommand = args is ["elasticsqs", ..];
        var innerStorage = storage == SampleStorage.Postgres && !buildTimeCommand ? CreatePostgreSqlStorage(builder.Configuration) : null;
        builder.Services.AddHangfire((provider, configuration) => configuration.UseElasticSqsStorage(provider, innerStorage));

        // Job classes come from the container: Hangfire's ASP.NET Core activator resolves them per job.
        builder.Services.AddSingleton<JobJournal>();
        builder.Services.AddTransient<ReportJobs>();
        builder.Services.AddTransient<EmailJobs>();
        builder.Services.AddTransient<BillingJobs>();
        builder.Services.AddTransient<CleanupJobs>();
        builder.Services.AddTransient<HeartbeatJobs>();
        builder.Services.AddTransient<ExportJobs>();
        builder.Services.AddTransient<WebhookJobs>();
        builder.Services.AddTransient<ImportJobs>();
        builder.Services.AddTransient<SampleEnqueuer>();

        if (roles.Worker && poll)
        {
            // ECS, EKS, EC2, containers: the ordinary Hangfire server, long-polling SQS.
            builder.Services.AddHangfireServer(o =>
            {
                o.Queues = ["default"];
                o.WorkerCount = builder.Configuration.GetValue("Hangfire:ElasticSqs:Worker:WorkerCount", 20);
            });
        }
        else if (roles.Worker)
        {
            builder.Services.AddHangfireElasticSqsWorker(options => options.Enabled = true);

            // On Elastic Beanstalk the real sqsd runs beside the app; locally the emulator from Hangfire.ElasticSqs.LocalSqsd plays its part.
            if (builder.Configuration.GetSection(LocalSqsdSection).Exists())
            {
                builder.Services.AddLocalSqsd(builder.Configuration.GetSection(LocalSqsdSection));
            }
        }

        // Liveness: this process's Hangfire server; readiness: SQS, the inner storage, the outbox (docs/operations.md).
        builder.Services.AddHealthChecks().AddElasticSqs(hangfireServer: roles.Worker);
        SampleTelemetry.AddIfAsked(builder);

        var app = builder.Build();
        app.MapHealthChecks("/health/live", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = r => r.Tags.Contains(Microsoft.Extensions.DependencyInjection.ElasticSqsHealthCheckBuilderExtensions.LiveTag) });
        app.MapHealthChecks("/health/ready", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = r => r.Tags.Contains(Microsoft.Extensions.DependencyInjection.ElasticSqsHealthCheckBuilderExtensions.ReadyTag) });
        if (roles.Web)
        {
            // The default authorization filter admits local requests only: never expose the Dashboard unprotected.
            app.MapHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [new LocalRequestsOnlyAuthorizationFilter()] });
            MapEnqueueApi(app);
        }

        if (roles.Worker && !poll)
        {
            app.MapElasticSqsWorker();
        }

        // Registered at start-up in every role; the same registration produces cron.yaml (ElasticSqsCronYaml).
        RegisterRecurringJobs(app.Services.GetRequiredService<IRecurringJobManager>());
        return app;
    }

    /// <summary>
    /// Hangfire.PostgreSql as the inner storage, from <c>ConnectionStrings:Hangfire</c>: what both Elastic Beanstalk
    /// tiers share (RDS/Aurora PostgreSQL) so that the web tier's Dashboard shows what the worker tier did.
    /// </summary>
    public static PostgreSqlStorage CreatePostgreSqlStorage(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"{StorageKey}=postgres needs ConnectionStrings:{ConnectionStringName} (environment variable ConnectionStrings__{ConnectionStringName}).");
        }

        var options = new PostgreSqlStorageOptions { PrepareSchemaIfNecessary = true };
        configuration.GetSection("Hangfire:PostgreSql").Bind(options);
        return new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, options), options);
    }

    public static void RegisterRecurringJobs(IRecurringJobManager recurringJobs)
        => recurringJobs.AddOrUpdate<HeartbeatJobs>(HeartbeatJobs.RecurringJobId, job => job.Beat(null), Cron.Minutely());

    private static void MapEnqueueApi(WebApplication app)
    {
        app.MapGet("/", () => Results.Text(
            "Hangfire.ElasticSqs sample. POST /reports/{id}, /emails?to=..., /invoices/{id}/charge, /cleanup?delaySeconds=3, " +
            "/exports/{id}?seconds=10, /webhooks?url=..., /imports?file=...; Dashboard at /hangfire\n"));
        app.MapPost("/reports/{id:int}", (int id, SampleEnqueuer jobs) =>
        {
            var (report, notify) = jobs.ReportWithNotification(id);
            return Results.Ok(new { report, notify });
        });
        app.MapPost("/emails", (string to, SampleEnqueuer jobs) => Results.Ok(new { job = jobs.Email(to) }));
        app.MapPost("/invoices/{id}/charge", (string id, SampleEnqueuer jobs) => Results.Ok(new { job = jobs.Charge(id) }));
        app.MapPost("/cleanup", (int? delaySeconds, SampleEnqueuer jobs) =>
            Results.Ok(new { job = jobs.Cleanup(TimeSpan.FromSeconds(delaySeconds ?? 3)) }));
        app.MapPost("/exports/{id:int}", (int id, int? seconds, SampleEnqueuer jobs) =>
        {
            var (export, publish) = jobs.ExportWithPublish(id, TimeSpan.FromSeconds(seconds ?? 10));
            return Results.Ok(new { export, publish });
        });
        app.MapPost("/webhooks", (string url, SampleEnqueuer jobs) => Results.Ok(new { job = jobs.Webhook(url) }));
        app.MapPost("/imports", (string file, SampleEnqueuer jobs) => Results.Ok(new { job = jobs.Import(file) }));
    }
}

/// <summary>The enqueue calls of the web role, shared by its HTTP API and the demo.</summary>
public sealed class SampleEnqueuer(IBackgroundJobClient client)
{
    public string Report(int reportId) => client.Enqueue<ReportJobs>(job => job.Render(reportId, null));

    public (string Report, string Notify) ReportWithNotification(int reportId)
    {
        var report = Report(reportId);
        var notify = client.ContinueJobWith<EmailJobs>(report, job => job.NotifyReportReady(reportId, null));
        return (report, notify);
    }

    public string Email(string to) => client.Enqueue<EmailJobs>(job => job.Send(to, null));

    public string Charge(string invoice) => client.Enqueue<BillingJobs>(job => job.Charge(invoice, null));

    public string Cleanup(TimeSpan delay) => client.Schedule<CleanupJobs>(job => job.PurgeExpiredSessions(null), delay);

    /// <summary>A long-running job and its continuation, Awaiting while the export runs.</summary>
    public (string Export, string Publish) ExportWithPublish(int exportId, TimeSpan duration)
    {
        var export = client.Enqueue<ExportJobs>(job => job.Build(exportId, (int)duration.TotalSeconds, null, CancellationToken.None));
        var publish = client.ContinueJobWith<ExportJobs>(export, job => job.Publish(exportId, null));
        return (export, publish);
    }

    public string Webhook(string url) => client.Enqueue<WebhookJobs>(job => job.Deliver(url, null));

    public string Import(string file) => client.Enqueue<ImportJobs>(job => job.Import(file, null));
}

/// <summary>How the worker role receives its jobs, from <c>Sample:Host</c>: "sqsd" (default: Elastic Beanstalk's daemon, or the local sqsd) or "poll".</summary>
public static class SampleHost
{
    public static bool IsPoll(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "sqsd" => false,
        "poll" => true,
        _ => throw new InvalidOperationException($"{SampleApp.HostKey} must be 'sqsd' or 'poll' (it is '{value}')."),
    };
}

/// <summary>The inner storage of both roles, from <c>Sample:Storage</c>: "memory" (default) or "postgres".</summary>
public enum SampleStorage
{
    Memory,
    Postgres,
}

public static class SampleStorageParsing
{
    extension(SampleStorage)
    {
        public static SampleStorage Parse(string? value) => value?.Trim().ToLowerInvariant() switch
        {
            null or "" or "memory" or "inmemory" => SampleStorage.Memory,
            "postgres" or "postgresql" => SampleStorage.Postgres,
            _ => throw new InvalidOperationException($"{SampleApp.StorageKey} must be 'memory' or 'postgres' (it is '{value}')."),
        };
    }
}

/// <summary>Which Elastic Beanstalk tier(s) this process plays, from <c>Sample:Roles</c> ("web", "worker" or both).</summary>
public sealed record SampleRoles(bool Web, bool Worker)
{
    public static SampleRoles Parse(string? value)
    {
        var parts = (value ?? "web,worker").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = parts.Where(p => !p.Equals("web", StringComparison.OrdinalIgnoreCase) && !p.Equals("worker", StringComparison.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0 || parts.Length == 0)
        {
            throw new InvalidOperationException($"{SampleApp.RolesKey} must list 'web', 'worker' or both (it is '{value}').");
        }

        return new SampleRoles(
            parts.Contains("web", StringComparer.OrdinalIgnoreCase),
            parts.Contains("worker", StringComparer.OrdinalIgnoreCase));
    }
}
