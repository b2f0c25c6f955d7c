using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Sample.Jobs;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Sample.Demo;

public sealed class DemoOptions
{
    /// <summary>Keep the app (and its Dashboard) running after the table until cancelled (Ctrl+C).</summary>
    public bool KeepRunning { get; set; }

    /// <summary>
    /// Send the cron.yaml tasks' messages right away, the way sqsd's leader does at a fire time, instead of waiting
    /// for the next minute boundary. The periodic task still travels through the queue and the local sqsd.
    /// </summary>
    public bool FirePeriodicTasksNow { get; set; }

    /// <summary>
    /// Poll mode: the sample's worker role is the ordinary Hangfire server receiving from SQS (ECS, EKS, containers)
    /// instead of the sqsd endpoint behind the local sqsd; Hangfire's own scheduler triggers the recurring job.
    /// </summary>
    public bool Poll { get; set; }

    /// <summary>How long every outcome may take before the demo gives up.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromMinutes(3);

    public TextWriter Output { get; set; } = TextWriter.Null;
}

/// <summary>One expected outcome and whether it holds.</summary>
public sealed record DemoOutcome(string Kind, string JobId, string Expected, bool Met, string Actual, int Attempts, int Retries, TimeSpan? FirstStart, TimeSpan? Done);

public sealed record DemoResult(
    bool Succeeded,
    IReadOnlyList<DemoOutcome> Outcomes,
    IReadOnlyDictionary<string, long> CountsByState,
    int DeadLetters,
    Uri DashboardUrl,
    int DashboardStatus,
    int RecurringRuns);

/// <summary>
/// The one-command demo: moto SQS, a worker queue with its dead-letter queue, the sample app in both roles with the
/// local sqsd posting to it, a realistic mix of jobs, progress while it works, and a final check of every outcome.
/// </summary>
public static class DemoRunner
{
    private const string WorkerQueueName = "hangfire-sample-default";
    private const string DeadLetterQueueName = "hangfire-sample-default-dlq";
    private const int MaxReceiveCount = 3;

    // The worker runs a delayed message that arrives at most this early (ElasticSqsWorkerOptions.DueTolerance default).
    private static readonly TimeSpan DueTolerance = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CleanupDelay = TimeSpan.FromSeconds(3);

    public static async Task<DemoResult> RunAsync(DemoOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var output = options.Output;
        var clock = Stopwatch.StartNew();
        await output.WriteLineAsync("Starting a local SQS server (moto, through eng/moto-server.py)...");
        await using var moto = await MotoProcess.StartAsync(cancellationToken);
        using var sqs = new AmazonSQSClient(new BasicAWSCredentials("demo", "demo"), new AmazonSQSConfig
        {
            ServiceURL = moto.ServiceUrl.ToString(),
            AuthenticationRegion = "us-east-1",
        });

        var (queueUrl, deadLetterUrl) = await CreateQueuesAsync(sqs, cancellationToken);
        await output.WriteLineAsync($"SQS at {moto.ServiceUrl}: queue {WorkerQueueName} (dead letters to {DeadLetterQueueName} after {MaxReceiveCount} receives)");

        var folder = Directory.CreateTempSubdirectory("hangfire-elasticsqs-demo-");
        try
        {
            var cronYamlPath = Path.Combine(folder.FullName, "cron.yaml");
            var port = FreePort.Next();
            var baseUrl = new Uri($"http://127.0.0.1:{port}");
            var app = SampleApp.Build([], builder => ConfigureForDemo(builder, sqs, queueUrl, baseUrl, cronYamlPath, options.Poll));
            await using (app)
            {
                // cron.yaml comes from the recurring jobs the app registered, exactly as a deployment script would make it;
                // it must exist before the local sqsd starts, which reads it once.
                var storage = app.Services.GetRequiredService<JobStorage>();
                var cronYaml = DemoCronYaml.From(ElasticSqsCronYaml.GenerateYaml(storage));
                await File.WriteAllTextAsync(cronYamlPath, cronYaml.Yaml, cancellationToken);
                if (!options.Poll)
                {
                    await output.WriteLineAsync($"cron.yaml ({cronYamlPath}):");
                    await output.WriteLineAsync(Indent(cronYaml.Yaml));
                }

                await app.StartAsync(cancellationToken);

                // Once started, the host's console lifetime takes Ctrl+C and SIGTERM and stops the application: end the
                // demo then too, so that the finally blocks stop moto and remove the temporary folder.
                using var stopping = CancellationTokenSource.CreateLinkedTokenSource(
                    cancellationToken, app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
                try
                {
                    await output.WriteLineAsync(options.Poll
                        ? $"App (web + worker roles) on {baseUrl}; poll mode: its Hangfire server receives from the queue itself."
                        : $"App (web + worker roles) on {baseUrl}; local sqsd polls the queue and POSTs to it.");
                    var result = await RunScenarioAsync(app, storage, sqs, queueUrl, deadLetterUrl, cronYaml, baseUrl, options, clock, stopping.Token);
                    if (options.KeepRunning)
                    {
                        await output.WriteLineAsync("Running until Ctrl+C (--keep-running).");
                        try
                        {
                            await Task.Delay(Timeout.Infinite, stopping.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            // Ctrl+C after the table ends the demo with its result.
                        }
                    }

                    return result;
                }
                finally
                {
                    await app.StopAsync(CancellationToken.None);
                }
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static void ConfigureForDemo(WebApplicationBuilder builder, IAmazonSQS sqs, string queueUrl, Uri baseUrl, string cronYamlPath, bool poll)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = baseUrl.ToString(),
            [SampleApp.RolesKey] = "web,worker",
            ["Hangfire:ElasticSqs:Queues:default"] = queueUrl,
            ["Hangfire:ElasticSqs:SigningKeyId"] = "demo",
            ["Hangfire:ElasticSqs:SigningKeys:demo"] = key,
            ["Hangfire:ElasticSqs:Worker:CronYamlPath"] = cronYamlPath,
            ["Hangfire:ElasticSqs:Worker:WorkerCount"] = "10",
            [SampleApp.HostKey] = poll ? "poll" : "sqsd",

            // The demo listens on loopback only: its Dashboard opens without a password from this machine.
            [Hangfire.ElasticSqs.Sample.Dashboard.DashboardAuthorization.AllowLocalRequestsKey] = "true",
        };
        if (!poll)
        {
            AddLocalSqsd(settings, queueUrl, baseUrl, cronYamlPath);
        }

        // The demo prints its own progress and table; the jobs' deliberate failures would otherwise fill the screen.
        // Set through configuration because appsettings.json's Logging section outranks code-level filters.
        settings["Logging:LogLevel:Default"] = "Warning";
        settings["Logging:LogLevel:Hangfire.AutomaticRetryAttribute"] = "None";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton(sqs);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
    }

    private static void AddLocalSqsd(Dictionary<string, string?> settings, string queueUrl, Uri baseUrl, string cronYamlPath)
    {
        foreach (var (key, value) in new Dictionary<string, string?>
        {
            [$"{SampleApp.LocalSqsdSection}:WorkerQueueURL"] = queueUrl,
            [$"{SampleApp.LocalSqsdSection}:BaseAddress"] = baseUrl.ToString(),
            [$"{SampleApp.LocalSqsdSection}:CronYamlPath"] = cronYamlPath,
            [$"{SampleApp.LocalSqsdSection}:HttpConnections"] = "10",
            [$"{SampleApp.LocalSqsdSection}:ErrorVisibilityTimeout"] = "1",
            [$"{SampleApp.LocalSqsdSection}:ReceiveWaitTimeSeconds"] = "1",
            [$"{SampleApp.LocalSqsdSection}:MaxRetries"] = MaxReceiveCount.ToString(CultureInfo.InvariantCulture),
            [$"{SampleApp.LocalSqsdSection}:BatchDeleteDelay"] = "00:00:00.200",
            [$"{SampleApp.LocalSqsdSection}:DrainTimeout"] = "00:00:05",
        })
        {
            settings[key] = value;
        }
    }

    private static async Task<(string Queue, string DeadLetters)> CreateQueuesAsync(AmazonSQSClient sqs, CancellationToken cancellationToken)
    {
        var deadLetters = (await sqs.CreateQueueAsync(DeadLetterQueueName, cancellationToken)).QueueUrl;
        var arn = (await sqs.GetQueueAttributesAsync(deadLetters, ["QueueArn"], cancellationToken)).QueueARN;
        var queue = await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = WorkerQueueName,
            Attributes = new Dictionary<string, string>
            {
                ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"{{arn}}","maxReceiveCount":"{{MaxReceiveCount}}"}""",
                ["VisibilityTimeout"] = "300",
            },
        }, cancellationToken);
        return (queue.QueueUrl, deadLetters);
    }

    private sealed record Expectation(string Kind, string Expected, Func<DemoOutcome> Evaluate);

    private static async Task<DemoResult> RunScenarioAsync(
        WebApplication app, JobStorage storage, AmazonSQSClient sqs, string queueUrl, string deadLetterUrl, DemoCronYaml cronYaml,
        Uri baseUrl, DemoOptions options, Stopwatch clock, CancellationToken cancellationToken)
    {
        var output = options.Output;
        var journal = app.Services.GetRequiredService<JobJournal>();
        var enqueuer = app.Services.GetRequiredService<SampleEnqueuer>();
        var started = DateTimeOffset.UtcNow;

        var report = enqueuer.Report(7);
        var (parent, continuation) = enqueuer.ReportWithNotification(42);
        var email = enqueuer.Email("ada@example.com");
        var charge = enqueuer.Charge("INV-1001");
        var cleanup = enqueuer.Cleanup(CleanupDelay);
        var cleanupDue = started + CleanupDelay;
        await output.WriteLineAsync(
            $"Enqueued: report {report}, report {parent} + continuation {continuation}, e-mail {email} (fails twice), " +
            $"charge {charge} (always fails), cleanup {cleanup} (in {CleanupDelay.TotalSeconds:0} s); recurring '{HeartbeatJobs.RecurringJobId}' via {(options.Poll ? "Hangfire's scheduler" : "cron.yaml")}");

        var recurringKind = options.Poll ? "recurring (scheduler)" : "recurring (cron.yaml)";
        if (options.Poll && options.FirePeriodicTasksNow)
        {
            // No sqsd in poll mode: trigger it the way the Dashboard's "Trigger now" does.
            app.Services.GetRequiredService<IRecurringJobManager>().Trigger(HeartbeatJobs.RecurringJobId);
            await output.WriteLineAsync($"Triggered '{HeartbeatJobs.RecurringJobId}' now (--fire-periodic-now) instead of waiting for the minute.");
        }
        else if (options.Poll)
        {
            var next = NextMinute(started);
            await output.WriteLineAsync(
                $"The recurring job runs when Hangfire's scheduler reaches '* * * * *' at the next minute boundary ({next:HH:mm:ss} UTC, " +
                $"in {(next - started).TotalSeconds:0} s; it looks every 15 s), so the demo may take up to about 90 s.");
        }
        else if (options.FirePeriodicTasksNow)
        {
            // What sqsd's leader sends at a fire time; the local sqsd then POSTs it to the task's URL like any message.
            var now = DateTimeOffset.UtcNow;
            var scheduled = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
            foreach (var task in cronYaml.Tasks)
            {
                await sqs.SendMessageAsync(PeriodicTaskRequest(queueUrl, task, scheduled), cancellationToken);
            }

            await output.WriteLineAsync($"Sent the {cronYaml.Tasks.Count} cron.yaml task message(s) now (--fire-periodic-now) instead of waiting for the minute.");
        }
        else
        {
            var next = NextMinute(started);
            await output.WriteLineAsync(
                $"The recurring job runs when the local sqsd fires cron.yaml's '* * * * *' at the next minute boundary ({next:HH:mm:ss} UTC, " +
                $"in {(next - started).TotalSeconds:0} s), so the demo may take up to about 70 s.");
        }

        DemoOutcome Outcome(string kind, string jobId, string expected, Func<string, IReadOnlyList<JobAttempt>, bool> met)
        {
            var attempts = jobId.Length == 0 ? [] : journal.AttemptsOf(jobId);
            var state = jobId.Length == 0 ? "(not run)" : StateOf(storage, jobId);
            var retries = jobId.Length == 0 ? 0 : RetriesOf(storage, jobId);
            var ok = jobId.Length > 0 && met(state, attempts);
            var actual = $"{state}, {attempts.Count} attempt(s)";
            TimeSpan? first = attempts.Count > 0 ? attempts[0].StartedAt - started : null;
            TimeSpan? done = attempts.Count > 0 && state is "Succeeded" or "Failed" ? attempts[^1].FinishedAt - started : null;
            return new DemoOutcome(kind, jobId, expected, ok, actual, attempts.Count, retries, first, done);
        }

        var expectations = new List<Expectation>
        {
            new("fire-and-forget", "Succeeded", () => Outcome("fire-and-forget", report, "Succeeded", (s, a) => s == "Succeeded" && a.Count == 1)),
            new("parent", "Succeeded", () => Outcome("parent", parent, "Succeeded", (s, a) => s == "Succeeded")),
            new("continuation", "Succeeded after its parent", () => Outcome("continuation", continuation, "Succeeded after its parent", (s, a) =>
                s == "Succeeded" && journal.AttemptsOf(parent) is { Count: > 0 } p && a.Count > 0 && a[0].StartedAt >= p[^1].FinishedAt)),
            new("delayed", $"Succeeded, not before +{CleanupDelay.TotalSeconds:0} s", () => Outcome("delayed", cleanup, $"Succeeded, not before +{CleanupDelay.TotalSeconds:0} s", (s, a) =>
                s == "Succeeded" && a.Count > 0 && a[0].StartedAt >= cleanupDue - DueTolerance)),
            new("fails twice", "Succeeded on attempt 3", () => Outcome("fails twice", email, "Succeeded on attempt 3", (s, a) =>
                s == "Succeeded" && a.Count == 3 && a[^1].Succeeded && a.Take(2).All(x => !x.Succeeded))),
            new("always fails", "Failed after 2 attempts", () => Outcome("always fails", charge, "Failed after 2 attempts", (s, a) =>
                s == "Failed" && a.Count == 2 && a.All(x => !x.Succeeded))),
            new(recurringKind, "Succeeded at least once", () =>
            {
                var beats = journal.AttemptsOfKind(HeartbeatJobs.Kind);
                var id = beats.Count > 0 ? beats[0].JobId : string.Empty;
                return Outcome(recurringKind, id, "Succeeded at least once", (s, a) => s == "Succeeded" && IsFromRecurringJob(storage, id));
            }),
        };

        var deadline = Stopwatch.StartNew();
        List<DemoOutcome> outcomes;
        while (true)
        {
            outcomes = expectations.Select(e => e.Evaluate()).ToList();
            var counts = CountsByState(storage);
            var waitingFor = outcomes.Where(o => !o.Met).Select(o => o.Kind).ToList();
            await output.WriteLineAsync((
                $"[{clock.Elapsed.TotalSeconds,5:0.0} s] outcomes {outcomes.Count(o => o.Met)}/{outcomes.Count}; succeeded {counts.GetValueOrDefault("Succeeded")}, " +
                $"failed {counts.GetValueOrDefault("Failed")}, scheduled {counts.GetValueOrDefault("Scheduled")}, retries {outcomes.Sum(o => o.Retries)}" +
                $"{(waitingFor.Count > 0 ? "; waiting for: " + string.Join(", ", waitingFor) : string.Empty)}" +
                $"{(waitingFor.Contains(recurringKind) && !options.FirePeriodicTasksNow ? $" (the recurring job fires in {NextMinute(DateTimeOffset.UtcNow) - DateTimeOffset.UtcNow:%s} s)" : string.Empty)}"));
            if (waitingFor.Count == 0 || deadline.Elapsed > options.Deadline)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        var deadLetters = await ApproximateCountAsync(sqs, deadLetterUrl, cancellationToken);
        var dashboard = new Uri(baseUrl, "/hangfire");
        var dashboardStatus = await DashboardStatusAsync(new Uri(baseUrl, "/hangfire/jobs/failed"), cancellationToken);
        var result = new DemoResult(
            outcomes.All(o => o.Met) && dashboardStatus == 200,
            outcomes,
            CountsByState(storage),
            deadLetters,
            dashboard,
            dashboardStatus,
            journal.AttemptsOfKind(HeartbeatJobs.Kind).Count);
        await PrintTableAsync(output, result);
        return result;
    }

    private static DateTimeOffset NextMinute(DateTimeOffset now)
        => new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(1);

    private static SendMessageRequest PeriodicTaskRequest(string queueUrl, DemoCronTask task, DateTimeOffset scheduled) => new()
    {
        QueueUrl = queueUrl,
        MessageBody = "elasticbeanstalk scheduled job",
        MessageAttributes = new Dictionary<string, MessageAttributeValue>
        {
            ["beanstalk.sqsd.path"] = new() { DataType = "String", StringValue = task.Url },
            ["beanstalk.sqsd.task_name"] = new() { DataType = "String", StringValue = task.Name },
            ["beanstalk.sqsd.scheduled_time"] = new()
            {
                DataType = "String",
                StringValue = scheduled.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
            },
        },
    };

    private static async Task PrintTableAsync(TextWriter output, DemoResult result)
    {
        static string Seconds(TimeSpan? t) => t is { } v ? v.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "-";
        await output.WriteLineAsync();
        await output.WriteLineAsync($"{"job kind",-22} {"job id",-36} {"expected",-30} {"actual",-26} {"retries",7} {"1st run",8} {"done",8}  ok");
        await output.WriteLineAsync(new string('-', 150));
        foreach (var o in result.Outcomes)
        {
            await output.WriteLineAsync(
                $"{o.Kind,-22} {o.JobId,-36} {o.Expected,-30} {o.Actual,-26} {o.Retries,7} {Seconds(o.FirstStart),8} {Seconds(o.Done),8}  {(o.Met ? "yes" : "NO")}");
        }

        await output.WriteLineAsync(new string('-', 150));
        await output.WriteLineAsync("Jobs by state: " + string.Join(", ", result.CountsByState.Where(c => c.Value > 0).Select(c => $"{c.Key} {c.Value}"))
            + $"; recurring job runs: {result.RecurringRuns}");
        await output.WriteLineAsync($"Dead-letter queue: {result.DeadLetters} message(s). Times are from the first enqueue.");
        await output.WriteLineAsync($"Dashboard: {result.DashboardUrl} (answered {result.DashboardStatus}; it stays up with `demo --keep-running`)");
        var problems = result.Outcomes.Where(o => !o.Met).Select(o => $"{o.Kind}: expected {o.Expected}, got {o.Actual}").ToList();
        if (result.DashboardStatus != 200)
        {
            problems.Add($"Dashboard: expected 200, got {result.DashboardStatus}");
        }

        await output.WriteLineAsync(problems.Count == 0 ? "Every outcome matched." : "NOT every outcome matched: " + string.Join("; ", problems));
    }

    /// <summary>The Dashboard's answer to a local request (it admits local requests only), or 0 when unreachable.</summary>
    private static async Task<int> DashboardStatusAsync(Uri page, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await http.GetAsync(page, cancellationToken);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    private static string StateOf(JobStorage storage, string jobId)
    {
        using var connection = storage.GetConnection();
        return connection.GetStateData(jobId)?.Name ?? "(none)";
    }

    private static int RetriesOf(JobStorage storage, string jobId)
    {
        using var connection = storage.GetConnection();
        return int.TryParse(connection.GetJobParameter(jobId, "RetryCount"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    private static bool IsFromRecurringJob(JobStorage storage, string jobId)
    {
        using var connection = storage.GetConnection();
        return connection.GetJobParameter(jobId, "RecurringJobId") is { } id && id.Trim('"') == HeartbeatJobs.RecurringJobId;
    }

    private static Dictionary<string, long> CountsByState(JobStorage storage)
    {
        var monitor = storage.GetMonitoringApi();
        var stats = monitor.GetStatistics();
        return new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["Enqueued"] = stats.Enqueued,
            ["Scheduled"] = stats.Scheduled,
            ["Processing"] = stats.Processing,
            ["Succeeded"] = stats.Succeeded,
            ["Failed"] = stats.Failed,
            ["Awaiting"] = monitor is JobStorageMonitor awaiting ? awaiting.AwaitingCount() : 0,
        };
    }

    private static async Task<int> ApproximateCountAsync(AmazonSQSClient sqs, string queueUrl, CancellationToken cancellationToken)
        => (await sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages"], cancellationToken)).ApproximateNumberOfMessages;

    private static string Indent(string text) => string.Join(Environment.NewLine, text.TrimEnd().Split('\n').Select(l => "    " + l.TrimEnd('\r')));
}
