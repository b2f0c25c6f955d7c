namespace Hangfire.ElasticSqs;

/// <summary>
/// Settings of <see cref="ElasticSqsStorage"/>. Bind them from configuration (for example the section
/// <c>Hangfire:ElasticSqs</c>) or set them in code; they are validated when the storage is created and every
/// problem is reported together.
/// </summary>
/// <remarks>The AWS client itself (region, credentials, endpoint) comes from the AWS SDK's normal chain:
/// <c>AWS_REGION</c>, <c>AWS_PROFILE</c>, <c>AWS_ENDPOINT_URL_SQS</c>, instance roles; or pass an
/// <c>IAmazonSQS</c> of your own.</remarks>
public sealed class ElasticSqsStorageOptions
{
    /// <summary>The SQS message size limit when a queue's <c>MaximumMessageSize</c> cannot be read (SQS's hard limit).</summary>
    internal const int SqsHardMessageSizeLimit = 1024 * 1024;

    /// <summary>
    /// Explicit map from a Hangfire queue name (<c>default</c>, or the one given by <c>[Queue("x")]</c> /
    /// <c>BackgroundJob.Enqueue("x", …)</c>) to an SQS queue URL or queue name. Entries here win over
    /// <see cref="QueueNamePrefix"/>.
    /// </summary>
    public Dictionary<string, string> Queues { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Naming convention for Hangfire queues missing from <see cref="Queues"/>: the SQS queue is named
    /// <c>{QueueNamePrefix}{hangfire queue}</c> (for example <c>myapp-</c> maps <c>critical</c> to <c>myapp-critical</c>).
    /// Leave <see langword="null"/> to allow only the queues listed in <see cref="Queues"/>.
    /// </summary>
    public string? QueueNamePrefix { get; set; }

    /// <summary>
    /// Creates SQS queues that do not exist instead of refusing the enqueue. For local development against
    /// a local SQS server only: production queues (and their dead-letter queues and redrive policies) belong
    /// in infrastructure code.
    /// </summary>
    public bool CreateMissingQueues { get; set; }

    /// <summary>
    /// Poll mode: the Hangfire servers of this process (<c>AddHangfireServer</c>, <c>new BackgroundJobServer()</c>)
    /// receive their jobs straight from the SQS queues of their <c>Queues</c>, long-polling, keeping each message invisible
    /// while its job runs, and deleting it once the outcome is recorded. For ECS, EKS, EC2 and containers, where no
    /// sqsd delivers the jobs. Recurring jobs are then triggered by Hangfire's own scheduler, which needs a shared
    /// durable inner storage. Default <see langword="false"/>: a server then starts only beside the sqsd worker endpoint.
    /// </summary>
    public bool ReceiveFromSqs { get; set; }

    /// <summary>
    /// Secrets that sign and verify job messages, by key id (letters, digits, <c>-</c> and <c>_</c>).
    /// Each value is base64 of at least 32 random bytes. Keep the previous key here while messages signed with it
    /// may still be in flight; remove it to refuse them.
    /// </summary>
    public Dictionary<string, string> SigningKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>The id, in <see cref="SigningKeys"/>, of the key that signs new messages.</summary>
    public string? SigningKeyId { get; set; }

    /// <summary>
    /// Names the application (or environment) messages are signed for; it is bound into every signature, so a worker
    /// refuses a message signed for another audience even when the two share a key. The web and worker tiers of one
    /// application set the same value. Default <see langword="null"/> (no audience). Use one key per environment as well.
    /// </summary>
    public string? SigningAudience { get; set; }

    /// <summary>
    /// The longest time a genuine message can wait in its queue: the queue's <c>MessageRetentionPeriod</c>. A
    /// delivery whose signed send time is older is a replay and is refused (a re-delay or a retry is a new send with
    /// its own send time). Between 1 minute and 14 days, as SQS allows; default 4 days, SQS's default.
    /// </summary>
    public TimeSpan MessageRetention { get; set; } = TimeSpan.FromDays(4);

    /// <summary>
    /// Accepts messages signed in the previous format (v1: no send time, no audience, so no replay protection) until
    /// this instant, for messages already queued when the library was upgraded. Default <see langword="null"/>: they
    /// are refused with a reason naming this option (and, with a dead-letter queue, kept there).
    /// </summary>
    public DateTimeOffset? AcceptV1SignaturesUntil { get; set; }

    /// <summary>
    /// Defense in depth for workers: when not empty, a delivered job runs only if its type is listed — by full name
    /// (<c>MyApp.Jobs.ReportJob</c>, nested types with <c>+</c>) or by namespace (<c>MyApp.Jobs.*</c>, sub-namespaces
    /// included). It is checked on every host after the signature verifies and before any type is resolved, so even a
    /// validly signed message from a compromised sender cannot name, say, <c>System.Diagnostics.Process</c>; a refused
    /// message is left for the dead-letter queue with a reason naming the type and this option. Default empty: any type.
    /// </summary>
    public List<string> AllowedJobTypes { get; } = [];

    /// <summary>What a caller of <c>BackgroundJob.Enqueue</c> sees when SQS cannot be reached. Default: <see cref="SendFailureMode.KeepPending"/>.</summary>
    public SendFailureMode SendFailureMode { get; set; } = SendFailureMode.KeepPending;

    /// <summary>How often the outbox sweeper looks for sends that did not complete. Default 15 seconds.</summary>
    public TimeSpan OutboxSweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Age after which the sweeper re-sends a pending send that its own process has not completed. Longer than
    /// the slowest expected <c>SendMessage</c> call, or messages are sent twice. Default 30 seconds.
    /// </summary>
    public TimeSpan OutboxResendAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Runs the outbox sweeper in this process. Default <see langword="true"/>.</summary>
    public bool EnableOutboxSweeper { get; set; } = true;

    /// <summary>
    /// A message size limit in bytes that overrides the queue's <c>MaximumMessageSize</c> attribute
    /// (1,024 to 1,048,576). Leave <see langword="null"/> to read it from each queue.
    /// </summary>
    public int? MaximumMessageSize { get; set; }

    /// <summary>
    /// Client-side batching of sends: a send that finds other sends to its SQS queue in flight waits at most this
    /// long for more sends to join it in one <c>SendMessageBatch</c> call (10 messages, 1 MiB at most). A lone send
    /// never waits. <see cref="TimeSpan.Zero"/> disables the wait: such a send then only joins sends already waiting
    /// for a free call slot. Default 5 milliseconds; at most 1 second.
    /// </summary>
    public TimeSpan SendBatchLinger { get; set; } = DefaultSendBatchLinger;

    internal static TimeSpan DefaultSendBatchLinger { get; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Records the metrics of the <c>Hangfire.ElasticSqs</c> meter (jobs received and completed, hand-off wait, job
    /// duration, send latency and batch size, pending sends, SQS errors, empty receives). Nothing is recorded unless a
    /// listener (an OpenTelemetry MeterProvider, dotnet-counters) subscribes; turn this off to record nothing even then.
    /// Default <see langword="true"/>.
    /// </summary>
    public bool EnableMetrics { get; set; } = true;

    /// <summary>
    /// Traces enqueues and deliveries with the <c>Hangfire.ElasticSqs</c> activity source, and carries the trace
    /// context from the enqueue to the worker in the <c>hangfire-traceparent</c> message attribute. Default
    /// <see langword="true"/>.
    /// </summary>
    public bool EnableTracing { get; set; } = true;

    /// <summary>
    /// Whether the inner storage survives the process and is shared by every instance (a database). Only then may a
    /// long job continue under a lease after its message is deleted (see docs/long-jobs.md). Leave
    /// <see langword="null"/> to detect it: Hangfire.InMemory and Hangfire.MemoryStorage are not durable, any other
    /// storage is. Set <see langword="false"/> for another storage that keeps jobs in the process.
    /// </summary>
    public bool? InnerStorageIsDurable { get; set; }

    /// <summary>Creates a deep copy, so that later changes to the original do not reach a running storage.</summary>
    internal ElasticSqsStorageOptions Clone()
    {
        var copy = new ElasticSqsStorageOptions
        {
            QueueNamePrefix = QueueNamePrefix,
            CreateMissingQueues = CreateMissingQueues,
            ReceiveFromSqs = ReceiveFromSqs,
            SigningKeyId = SigningKeyId,
            SigningAudience = SigningAudience,
            MessageRetention = MessageRetention,
            AcceptV1SignaturesUntil = AcceptV1SignaturesUntil,
            SendFailureMode = SendFailureMode,
            OutboxSweepInterval = OutboxSweepInterval,
            OutboxResendAfter = OutboxResendAfter,
            EnableOutboxSweeper = EnableOutboxSweeper,
            MaximumMessageSize = MaximumMessageSize,
            SendBatchLinger = SendBatchLinger,
            InnerStorageIsDurable = InnerStorageIsDurable,
            EnableMetrics = EnableMetrics,
            EnableTracing = EnableTracing,
        };
        foreach (var (queue, target) in Queues)
        {
            copy.Queues[queue] = target;
        }

        copy.AllowedJobTypes.AddRange(AllowedJobTypes);
        foreach (var (id, secret) in SigningKeys)
        {
            copy.SigningKeys[id] = secret;
        }

        return copy;
    }
}
