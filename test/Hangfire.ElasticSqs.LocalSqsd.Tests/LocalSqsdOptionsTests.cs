using Amazon.SQS;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.LocalSqsd.Tests;

public sealed class LocalSqsdOptionsTests
{
    [Test]
    public void Defaults_are_those_of_the_aws_elasticbeanstalk_sqsd_namespace()
    {
        var options = new LocalSqsdOptions();

        options.HttpPath.Should().Be("/");
        options.MimeType.Should().Be("application/json");
        options.HttpConnections.Should().Be(50);
        options.ConnectTimeout.Should().Be(5);
        options.InactivityTimeout.Should().Be(299);
        options.VisibilityTimeout.Should().Be(300);
        options.ErrorVisibilityTimeout.Should().Be(2);
        options.RetentionPeriod.Should().Be(345600);
        options.MaxRetries.Should().Be(10);
        options.BaseAddress.Should().Be(new Uri("http://localhost:80"));
        options.SqsdVersion.Should().Be("3.0.4");
        options.BatchDeleteDelay.Should().Be(TimeSpan.FromSeconds(2));
        options.ReceiveWaitTimeSeconds.Should().Be(20);
    }

    [Test]
    public void Every_invalid_setting_is_reported_in_one_exception()
    {
        var options = new LocalSqsdOptions
        {
            HttpPath = "worker",
            HttpConnections = 0,
            RetentionPeriod = 59,
            ReceiveWaitTimeSeconds = 21,
        };
        using var sqs = new AmazonSQSClient(new Amazon.Runtime.AnonymousAWSCredentials(), Amazon.RegionEndpoint.USEast1);

        var create = () => new LocalSqsd(options, sqs);

        create.Should().Throw<OptionsValidationException>().Which.Failures.Should().HaveCount(5)
            .And.Contain(failure => failure.Contains("WorkerQueueURL", StringComparison.Ordinal))
            .And.Contain(failure => failure.Contains("HttpPath", StringComparison.Ordinal))
            .And.Contain(failure => failure.Contains("HttpConnections", StringComparison.Ordinal))
            .And.Contain(failure => failure.Contains("RetentionPeriod", StringComparison.Ordinal))
            .And.Contain(failure => failure.Contains("ReceiveWaitTimeSeconds", StringComparison.Ordinal));
    }

    [Test]
    public void Periodic_tasks_are_refused_on_a_fifo_queue_as_on_Elastic_Beanstalk()
    {
        var options = new LocalSqsdOptions { WorkerQueueURL = "http://localhost:4566/000000000000/jobs.fifo", CronYamlPath = "cron.yaml" };

        LocalSqsdOptionsValidation.Errors(options).Should().ContainSingle().Which.Should().Contain("FIFO");
    }

    [TestCase("hangfire-job-id", "X-Aws-Sqsd-Attr-Hangfire-Job-Id")]
    [TestCase("isReverse", "X-Aws-Sqsd-Attr-Isreverse")]
    [TestCase("MESSAGE-DIGEST", "X-Aws-Sqsd-Attr-Message-Digest")]
    [TestCase("message_digest", "X-Aws-Sqsd-Attr-Message_digest")]
    [TestCase("a.b-c", "X-Aws-Sqsd-Attr-A.b-C")]
    public void Attribute_headers_are_title_cased_per_dash_separated_segment_like_em_http(string attribute, string header)
        => SqsdHeaders.ForAttribute(attribute).Should().Be(header);

    [Test]
    public void AddLocalSqsd_binds_the_sqsd_option_names_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sqsd:WorkerQueueURL"] = "http://127.0.0.1:4566/000000000000/jobs",
            ["Sqsd:HttpPath"] = "/sqsd",
            ["Sqsd:HttpConnections"] = "7",
            ["Sqsd:InactivityTimeout"] = "600",
            ["Sqsd:BaseAddress"] = "http://localhost:5000",
            ["Sqsd:CronYamlPath"] = "cron.yaml",
        }).Build();
        var services = new ServiceCollection().AddLocalSqsd(configuration.GetSection("Sqsd"));
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<LocalSqsdOptions>>().Value;

        options.WorkerQueueURL.Should().Be("http://127.0.0.1:4566/000000000000/jobs");
        options.HttpPath.Should().Be("/sqsd");
        options.HttpConnections.Should().Be(7);
        options.InactivityTimeout.Should().Be(600);
        options.BaseAddress.Should().Be(new Uri("http://localhost:5000"));
        options.CronYamlPath.Should().Be("cron.yaml");
        options.VisibilityTimeout.Should().Be(300, "unset options keep their defaults");
    }
}
