namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>
/// Settings of the <see cref="LocalSqsd"/>. The sqsd-specific ones carry the names, units (whole seconds)
/// and defaults of Elastic Beanstalk's <c>aws:elasticbeanstalk:sqsd</c> namespace, so a configuration section
/// can be copied between <c>.ebextensions</c> and <c>appsettings.Development.json</c>; the rest exist only
/// because the daemon runs locally.
/// </summary>
public sealed class LocalSqsdOptions
{
    /// <summary>The URL of the worker queue to poll (and to send periodic tasks to). Required.</summary>
#pragma warning disable CA1056 // The sqsd option is a string URL named exactly this; kept for copy-paste configuration.
    public string? WorkerQueueURL { get; set; }
#pragma warning restore CA1056

    /// <summary>The path ordinary messages are POSTed to, relative to <see cref="BaseAddress"/>. Default <c>/</c>.</summary>
    public string HttpPath { get; set; } = "/";

    /// <summary>The <c>Content-Type</c> of every POST. Default <c>application/json</c>.</summary>
    public string MimeType { get; set; } = "application/json";

    /// <summary>The most requests in flight to the application at once, 1–100. Default 50.</summary>
    public int HttpConnections { get; set; } = 50;

    /// <summary>Seconds to wait for a TCP connection to the application, 1–60. Default 5.</summary>
    public int ConnectTimeout { get; set; } = 5;

    /// <summary>
    /// Seconds to wait for the application's answer, 1–36000. Default 299 (the namespace table's value; the
    /// console page says 180). When it runs out the delivery counts as failed.
    /// </summary>
    public int InactivityTimeout { get; set; } = 299;

    /// <summary>
    /// Seconds a received message stays invisible to other consumers, 0–43200, passed on every receive so it
    /// overrides the queue's own setting. Default 300.
    /// </summary>
    public int VisibilityTimeout { get; set; } = 300;

    /// <summary>Seconds until a message whose delivery failed is visible again, 0–43200. Default 2.</summary>
    public int ErrorVisibilityTimeout { get; set; } = 2;

    /// <summary>
    /// Seconds after its first receive when a message is deleted without being delivered, 60–1209600.
    /// Default 345600 (4 days).
    /// </summary>
    public int RetentionPeriod { get; set; } = 345600;

    /// <summary>
    /// Receives before the message moves to the dead-letter queue, 1–100. Default 10. Like the real daemon
    /// the local one does not count: this only documents the <c>maxReceiveCount</c> of the queue's redrive
    /// policy, which SQS applies.
    /// </summary>
    public int MaxRetries { get; set; } = 10;

    /// <summary>
    /// Where the application listens; <see cref="HttpPath"/> and periodic task URLs are appended to it.
    /// Default <c>http://localhost:80</c>, as on Elastic Beanstalk; locally the application usually
    /// listens elsewhere.
    /// </summary>
    public Uri BaseAddress { get; set; } = new("http://localhost:80");

    /// <summary>Path of a <c>cron.yaml</c> whose periodic tasks to run; none when null or empty.</summary>
    public string? CronYamlPath { get; set; }

    /// <summary>The version sent in <c>User-Agent: aws-sqsd/&lt;version&gt;</c>; empty sends a bare <c>aws-sqsd</c>. Default <c>3.0.4</c>.</summary>
    public string SqsdVersion { get; set; } = "3.0.4";

    /// <summary>
    /// The longest a successful delivery waits before its message is deleted, batched with others (up to 10
    /// per call). Default 2 s, as sqsd's batch-delete timer; zero deletes at once.
    /// </summary>
    public TimeSpan BatchDeleteDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The long-poll wait of each receive, 0–20 seconds. Default 20, as sqsd; lower values make shutdown
    /// quicker when an SQS endpoint ignores cancellation.
    /// </summary>
    public int ReceiveWaitTimeSeconds { get; set; } = 20;

    /// <summary>How long stopping waits for deliveries in flight before abandoning them. Default 30 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The <c>User-Agent</c> header value built from <see cref="SqsdVersion"/>.</summary>
    internal string UserAgent => string.IsNullOrEmpty(SqsdVersion) ? "aws-sqsd" : $"aws-sqsd/{SqsdVersion}";

    /// <summary>A copy, so that a running daemon is not affected by later changes.</summary>
    internal LocalSqsdOptions Copy() => (LocalSqsdOptions)MemberwiseClone();
}
