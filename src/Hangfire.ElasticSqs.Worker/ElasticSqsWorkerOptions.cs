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
    internal const string EnableVariable = "HANGFIRE_ELASTICSQS_WORKER";

    /// <summary>
    /// Runs jobs in this process. Off by default: requests then pass to the rest of the application, and no Hangfire
    /// worker starts. The environment variable <c>HANGFIRE_ELASTICSQS_WORKER</c> set to <c>true</c> (or <c>1</c>) turns it on as well.
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

    /// <summary>
    /// How late a cron.yaml periodic task may arrive after its scheduled time and still trigger its recurring job (a
    /// queue backlog or sqsd's retries delay it). Later ones are refused with 400, as are tasks scheduled more than a
    /// minute ahead of this machine's clock or at a time that is not one of the job's own cron occurrences. Between
    /// 1 minute and 4 days (SQS's default retention); default 1 hour.
    /// </summary>
    public TimeSpan PeriodicTaskMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether processing is on, by option or by <see cref="EnableVariable"/>.</summary>
    internal bool IsEnabled
        => Enabled || Environment.GetEnvironmentVariable(EnableVariable) is { } value
            && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1");
}
