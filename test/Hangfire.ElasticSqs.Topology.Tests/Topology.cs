using System.Globalization;
using System.Security.Cryptography;
using Amazon.SQS;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Topology.Tests;

/// <summary>
/// What Elastic Beanstalk runs in production, on one machine: a PostgreSQL cluster of its own (one database, the shared
/// inner storage), one moto SQS server (the worker queue and its dead-letter queue), the sample's web role as one OS
/// process and its worker role, fed by the local sqsd it hosts, as another. Started once for every test here.
/// </summary>
[SetUpFixture]
public sealed class Topology
{
    public const string WorkerServerName = "eb-worker-1";
    public const int WorkerConcurrency = 3;
    public const int MaxReceiveCount = 5;

    private static Topology? s_current;

    public static Topology Current => s_current ?? throw new InvalidOperationException("The topology is not started.");

    public PostgresServer Postgres { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    public MotoServer Moto { get; private set; } = null!;

    public AmazonSQSClient Sqs { get; private set; } = null!;

    public string QueueUrl { get; private set; } = null!;

    public string DeadLetterQueueUrl { get; private set; } = null!;

    public SampleProcess Web { get; private set; } = null!;

    public SampleProcess Worker { get; private set; } = null!;

    public DashboardClient Dashboard { get; private set; } = null!;

    public string CronYamlPath { get; private set; } = null!;

    private DirectoryInfo _folder = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _folder = Directory.CreateTempSubdirectory("hangfire-elasticsqs-topology-");
        var postgres = PostgresServer.StartAsync();
        var moto = MotoServer.StartAsync();
        Postgres = await postgres;
        Moto = await moto;
        ConnectionString = await Postgres.CreateDatabaseAsync("hangfire");
        Sqs = Moto.CreateClient();
        (QueueUrl, DeadLetterQueueUrl) = await CreateQueuesAsync();
        s_current = this;

        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var environment = new Dictionary<string, string>
        {
            // The AWS SDK's own chain, as on an instance: region, endpoint (moto here), credentials.
            ["AWS_ENDPOINT_URL_SQS"] = Moto.ServiceUrl.ToString(),
            ["AWS_REGION"] = "us-east-1",
            ["AWS_ACCESS_KEY_ID"] = "test",
            ["AWS_SECRET_ACCESS_KEY"] = "test",
            ["Hangfire__ElasticSqs__Queues__default"] = QueueUrl,
            ["Hangfire__ElasticSqs__SigningKeyId"] = "topology",
            ["Hangfire__ElasticSqs__SigningKeys__topology"] = key,
        };

        // cron.yaml is generated at build time from the registered recurring jobs, as the deployment docs say.
        CronYamlPath = Path.Combine(_folder.FullName, "cron.yaml");
        var (exit, output) = await SampleProcess.RunToEndAsync(["elasticsqs", "cron-yaml", "--output", CronYamlPath], environment);
        exit.Should().Be(0, "`elasticsqs cron-yaml` writes cron.yaml: {0}", output);

        var common = new Dictionary<string, string>
        {
            ["Sample:Storage"] = "postgres",
            ["ConnectionStrings:Hangfire"] = ConnectionString,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Hangfire.AutomaticRetryAttribute"] = "None",
            ["Logging:LogLevel:Hangfire.ElasticSqs.Sample"] = "Information",
            // One line per sqsd delivery (job id, receive count, HTTP status, outcome): what the tests read on the worker.
            ["Logging:LogLevel:Hangfire.ElasticSqs.Worker.Delivery"] = "Information",
            ["Logging:LogLevel:Hangfire.ElasticSqs.Hosts"] = "Information",
            ["Logging:Console:FormatterName"] = "simple",
            ["Logging:Console:FormatterOptions:SingleLine"] = "true",
        };

        // The web tier first: it creates the Hangfire schema; then the worker tier on the same database.
        var webUrl = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        // The Dashboard is locked in production: the tests sign in as a deployed user would.
        var webEnvironment = new Dictionary<string, string>(environment)
        {
            ["Sample__Dashboard__Username"] = DashboardClient.Username,
            ["Sample__Dashboard__Password"] = DashboardClient.Password,
        };
        Web = await SampleProcess.StartAsync("web", webUrl, new Dictionary<string, string>(common) { ["Sample:Roles"] = "web" }, webEnvironment);
        Dashboard = new DashboardClient(webUrl);

        var workerUrl = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        Worker = await SampleProcess.StartAsync("worker", workerUrl, new Dictionary<string, string>(common)
        {
            ["Sample:Roles"] = "worker",
            ["Hangfire:ElasticSqs:Worker:ServerName"] = WorkerServerName,
            ["Hangfire:ElasticSqs:Worker:WorkerCount"] = WorkerConcurrency.ToString(CultureInfo.InvariantCulture),
            ["Hangfire:ElasticSqs:Worker:CronYamlPath"] = CronYamlPath,
            ["LocalSqsd:WorkerQueueURL"] = QueueUrl,
            ["LocalSqsd:BaseAddress"] = workerUrl.ToString(),
            ["LocalSqsd:CronYamlPath"] = CronYamlPath,
            ["LocalSqsd:HttpConnections"] = WorkerConcurrency.ToString(CultureInfo.InvariantCulture),
            ["LocalSqsd:MaxRetries"] = MaxReceiveCount.ToString(CultureInfo.InvariantCulture),
            ["LocalSqsd:ErrorVisibilityTimeout"] = "1",
            ["LocalSqsd:ReceiveWaitTimeSeconds"] = "1",
            ["LocalSqsd:BatchDeleteDelay"] = "00:00:00.200",
            ["LocalSqsd:DrainTimeout"] = "00:00:05",
        }, environment);

        // The worker announces its Hangfire server in the shared database: the web tier's Dashboard lists it.
        await Eventually.Until(() => Dashboard.GetAsync("/hangfire/servers"), html => html.Contains(WorkerServerName, StringComparison.Ordinal),
            "the worker's server on the web Dashboard's Servers page", TimeSpan.FromSeconds(60));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        Dashboard?.Dispose();
        foreach (var process in new[] { Web, Worker })
        {
            if (process is not null)
            {
                TestContext.Progress.WriteLine($"--- {process.Name} process output (tail) ---{Environment.NewLine}{process.Tail(40)}");
                await process.DisposeAsync();
            }
        }

        Sqs?.Dispose();
        if (Moto is not null)
        {
            await Moto.DisposeAsync();
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }

        _folder?.Delete(recursive: true);
        s_current = null;
    }

    /// <summary>What sqsd's leader sends at a cron.yaml fire time; the local sqsd POSTs it to the task's URL like any message.</summary>
    public Task FirePeriodicTaskNowAsync(string name, string url = "/periodic-tasks")
    {
        var now = DateTime.UtcNow;
        var scheduled = new DateTime(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, DateTimeKind.Utc);
        return Sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = QueueUrl,
            MessageBody = "elasticbeanstalk scheduled job",
            MessageAttributes = new Dictionary<string, MessageAttributeValue>
            {
                ["beanstalk.sqsd.path"] = new() { DataType = "String", StringValue = url },
                ["beanstalk.sqsd.task_name"] = new() { DataType = "String", StringValue = name },
                ["beanstalk.sqsd.scheduled_time"] = new() { DataType = "String", StringValue = scheduled.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) },
            },
        });
    }

    /// <summary>Messages in the worker queue: visible, in flight and delayed.</summary>
    public async Task<(int Visible, int InFlight, int Delayed)> QueueDepthAsync(string? queueUrl = null)
    {
        var attributes = await Sqs.GetQueueAttributesAsync(queueUrl ?? QueueUrl,
            ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]);
        return (attributes.ApproximateNumberOfMessages, attributes.ApproximateNumberOfMessagesNotVisible, attributes.ApproximateNumberOfMessagesDelayed);
    }

    private async Task<(string Queue, string DeadLetters)> CreateQueuesAsync()
    {
        var deadLetters = (await Sqs.CreateQueueAsync("hangfire-topology-dlq")).QueueUrl;
        var arn = (await Sqs.GetQueueAttributesAsync(deadLetters, ["QueueArn"])).QueueARN;
        var queue = await Sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = "hangfire-topology",
            Attributes = new Dictionary<string, string>
            {
                ["RedrivePolicy"] = $$"""{"deadLetterTargetArn":"{{arn}}","maxReceiveCount":"{{MaxReceiveCount}}"}""",
                ["VisibilityTimeout"] = "300",
            },
        });
        return (queue.QueueUrl, deadLetters);
    }
}
