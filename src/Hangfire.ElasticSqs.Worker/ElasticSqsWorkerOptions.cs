using Hangfire.ElasticSqs.Worker.Scheduling;

namespace Hangfire.ElasticSqs.Worker;

/// <summary>
/// Settings of the worker endpoint that runs the jobs sqsd delivers. Bind them from configuration (for example the
/// section <c>Hangfire:ElasticSqs:Worker</c>) or set them in code.
/// </summary>
public sealed class ElasticSqsWorkerOptions
{
    /// <summary>
    /// The environment variable that turns processing on (<c>true</c>/<c>1</c>), so one build can be deployed to the
    /// web and the worker environment and only the worker runs jobs.
    /// </summary>
    public const string EnableVariable = "HANGFIRE_ELASTICSQS_WORKER";

    /// <summary>
    /// Runs jobs in this process. Off by default: requests then pass to the rest of the application, and no Hangfire
    /// worker starts. <see cref="EnableVariable"/> set to <c>true</c> turns it on as well.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>Hangfire worker threads that run delivered jobs. Default 50, matching sqsd's default <c>HttpConnections</c>.</summary>
    public int WorkerCount { get; set; } = 50;

    /// <summary>
    /// How long a delivery may wait for a free worker before it is answered 503 (sqsd then retries it after its
    /// error visibility timeout). Default 30 seconds. Under a lease (<see cref="LeaseAfter"/>) that bound is used instead.
    /// </summary>
    public TimeSpan HandOffTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest the endpoint holds sqsd's request: waiting for a free worker, then running the job. A job still
    /// running then is answered 200 (sqsd deletes its message) and goes on under a lease: its <c>Processing</c> state
    /// on this server, whose heartbeat shows it alive; if the instance dies, another one enqueues the job again. A job
    /// that found no free worker by then is answered 503. Default 45 seconds, safely below the 60-second
    /// <c>proxy_read_timeout</c> of Elastic Beanstalk's nginx, so no job length needs nginx or sqsd timeouts raised.
    /// Applies only with a durable shared inner storage (see <c>ElasticSqsStorageOptions.InnerStorageIsDurable</c>);
    /// on an in-memory one, or when null, a delivery is held until its job's outcome is recorded, and
    /// <see cref="HandOffTimeout"/> bounds the wait for a worker.
    /// </summary>
    public TimeSpan? LeaseAfter { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>
    /// A delayed message that arrives at most this much before its job is due runs now rather than being delayed again
    /// (SQS delays are whole seconds). Default 1 second.
    /// </summary>
    public TimeSpan DueTolerance { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the worker's Hangfire server records its heartbeat. Default 15 seconds.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A server whose heartbeat is older than this is dead: a job it left <c>Processing</c> (the instance crashed or
    /// was replaced) runs again when sqsd redelivers it, instead of being answered 409 until SQS moves the message to
    /// the dead-letter queue. Longer than twice <see cref="HeartbeatInterval"/>. Default 1 minute.
    /// </summary>
    public TimeSpan ServerTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The server name the Dashboard's Servers page shows; the machine name when null.</summary>
    public string? ServerName { get; set; }

    /// <summary>User-Agent prefixes accepted besides <c>aws-sqsd</c> (for a daemon of your own).</summary>
    public List<string> ExtraUserAgentPrefixes { get; } = [];

    /// <summary>
    /// Accepts requests from the Docker bridge gateway as local (sqsd on the host, the app in a container).
    /// The gateway is read from <c>/proc/net/route</c> unless <see cref="TrustedGatewayAddresses"/> lists it.
    /// </summary>
    public bool TrustDockerGateway { get; set; }

    /// <summary>Explicit gateway addresses to trust when <see cref="TrustDockerGateway"/> is on.</summary>
    public List<string> TrustedGatewayAddresses { get; } = [];

    /// <summary>
    /// The deployed <c>cron.yaml</c> the worker compares with the registered recurring jobs shortly after start-up,
    /// logging every difference as an error (a job missing from it never runs on Elastic Beanstalk). Relative to the
    /// content root; default <c>cron.yaml</c>. Null or empty turns the check off.
    /// </summary>
    public string? CronYamlPath { get; set; } = "cron.yaml";

    /// <summary>
    /// The <c>url</c> of the cron.yaml tasks this library generates and checks; must equal the
    /// <c>periodicTaskPattern</c> passed to <c>MapElasticSqsWorker</c>. Default <c>/periodic-tasks</c>.
    /// </summary>
    public string PeriodicTaskPath { get; set; } = "/periodic-tasks";

    /// <summary>
    /// Who triggers recurring jobs: sqsd from <c>cron.yaml</c> (<see cref="RecurringJobSchedulerMode.CronYaml"/>,
    /// the default), or Hangfire's own scheduler in this worker (<see cref="RecurringJobSchedulerMode.Hangfire"/>,
    /// for deployments without sqsd cron such as FIFO worker queues; needs a shared durable inner storage, and
    /// periodic-task requests are then refused with 404).
    /// </summary>
    public RecurringJobSchedulerMode RecurringJobScheduler { get; set; } = RecurringJobSchedulerMode.CronYaml;

    /// <summary>Whether processing is on, by option or by <see cref="EnableVariable"/>.</summary>
    internal bool IsEnabled
        => Enabled || Environment.GetEnvironmentVariable(EnableVariable) is { } value
            && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1");

    internal IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (WorkerCount is < 1 or > 1000)
        {
            problems.Add($"WorkerCount must be between 1 and 1,000 (it is {WorkerCount}).");
        }

        if (HandOffTimeout <= TimeSpan.Zero)
        {
            problems.Add($"HandOffTimeout must be positive (it is {HandOffTimeout}).");
        }

        if (LeaseAfter is { } leaseAfter && (leaseAfter < TimeSpan.FromSeconds(1) || leaseAfter > TimeSpan.FromHours(12)))
        {
            problems.Add($"LeaseAfter must be between 1 second and 12 hours (it is {leaseAfter}); keep it below nginx's proxy_read_timeout (60 seconds on Elastic Beanstalk), or set it to null to hold every delivery until its job ends.");
        }

        if (DueTolerance < TimeSpan.Zero || DueTolerance > TimeSpan.FromMinutes(1))
        {
            problems.Add($"DueTolerance must be between 0 and 1 minute (it is {DueTolerance}).");
        }

        if (HeartbeatInterval < TimeSpan.FromSeconds(1))
        {
            problems.Add($"HeartbeatInterval must be at least 1 second (it is {HeartbeatInterval}).");
        }

        if (ServerTimeout <= HeartbeatInterval * 2)
        {
            problems.Add($"ServerTimeout ({ServerTimeout}) must be longer than twice HeartbeatInterval ({HeartbeatInterval}), or live servers are taken for dead and their jobs run twice.");
        }

        foreach (var address in TrustedGatewayAddresses)
        {
            if (!System.Net.IPAddress.TryParse(address, out _))
            {
                problems.Add($"TrustedGatewayAddresses has '{address}', which is not an IP address.");
            }
        }

        if (TrustedGatewayAddresses.Count > 0 && !TrustDockerGateway)
        {
            problems.Add("TrustedGatewayAddresses is set but TrustDockerGateway is off: enable it or remove the addresses.");
        }

        if (ExtraUserAgentPrefixes.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add("ExtraUserAgentPrefixes has an empty prefix, which would match every request.");
        }

        return problems;
    }
}
