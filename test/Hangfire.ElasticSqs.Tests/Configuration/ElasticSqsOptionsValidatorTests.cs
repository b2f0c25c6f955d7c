using Hangfire.ElasticSqs.Configuration;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Hangfire.ElasticSqs.Tests.Configuration;

public class ElasticSqsOptionsValidatorTests
{
    [Test]
    public void Valid_options_have_no_problems()
        => ElasticSqsOptionsValidator.Validate(TestKeys.Options(o => o.Queues["default"] = "https://sqs.eu-west-1.amazonaws.com/123456789012/worker")).Should().BeEmpty();

    [Test]
    public void Every_problem_is_reported_together_and_secrets_are_never_echoed()
    {
        var options = new ElasticSqsStorageOptions { SigningKeyId = "missing", OutboxSweepInterval = TimeSpan.Zero, MaximumMessageSize = 10 };
        options.SigningKeys["short"] = Convert.ToBase64String(new byte[8]);
        options.SigningKeys["bad key"] = "%%%not base64%%%";
        options.Queues["Bad Queue"] = "my queue!";

        using var sqs = new Amazon.SQS.AmazonSQSClient(new Amazon.Runtime.AnonymousAWSCredentials(), Amazon.RegionEndpoint.USEast1);
        var create = () => new ElasticSqsStorage(new InMemoryStorage(), options, sqs);

        var problems = create.Should().Throw<ElasticSqsConfigurationException>().Which.Problems;
        problems.Should().HaveCount(8);
        problems.Should().Contain(p => p.Contains("Hangfire queue name 'Bad Queue'", StringComparison.Ordinal));
        problems.Should().Contain(p => p.Contains("'my queue!' is neither a queue URL nor a valid SQS queue name", StringComparison.Ordinal));
        problems.Should().Contain(p => p.Contains("SigningKeys[\"short\"] is 8 bytes long; use at least 32", StringComparison.Ordinal));
        problems.Should().Contain(p => p.Contains("key id 'bad key'", StringComparison.Ordinal));
        problems.Should().Contain(p => p.Contains("SigningKeys[\"bad key\"] is not valid base64", StringComparison.Ordinal));
        problems.Should().Contain(p => p.Contains("SigningKeyId 'missing' is not one of the SigningKeys", StringComparison.Ordinal));
        problems.Should().Contain(p => p.Contains("OutboxSweepInterval must be positive", StringComparison.Ordinal));
        problems.Should().Contain(p => p.Contains("MaximumMessageSize must be between", StringComparison.Ordinal));
        string.Join("\n", problems).Should().NotContain("%%%not base64%%%");
    }

    [Test]
    public void Security_options_out_of_range_are_reported_together_with_their_fix()
    {
        var options = TestKeys.Options(o =>
        {
            o.Queues["default"] = "worker";
            o.MessageRetention = TimeSpan.FromDays(15);
            o.SigningAudience = "shop\nproduction";
            o.AllowedJobTypes.Add("*");
            o.AllowedJobTypes.Add("MyApp.Jobs.*");
        });

        var problems = ElasticSqsOptionsValidator.Validate(options);

        problems.Should().HaveCount(3);
        problems.Should().Contain(p => p.StartsWith("MessageRetention must be between 1 minute and 14 days", StringComparison.Ordinal));
        problems.Should().Contain(p => p.StartsWith("SigningAudience must be 1 to 256 characters", StringComparison.Ordinal));
        problems.Should().Contain(p => p.StartsWith("AllowedJobTypes has '*'", StringComparison.Ordinal));
    }

    [Test]
    public void No_queue_and_no_key_is_reported_with_the_fix()
    {
        var problems = ElasticSqsOptionsValidator.Validate(new ElasticSqsStorageOptions());

        problems.Should().HaveCount(3);
        problems.Should().Contain(p => p.StartsWith("No SQS queue is configured: add Queues[\"default\"]", StringComparison.Ordinal));
        problems.Should().Contain(p => p.StartsWith("SigningKeys is empty", StringComparison.Ordinal));
        problems.Should().Contain(p => p.StartsWith("SigningKeyId is not set", StringComparison.Ordinal));
    }

    [Test]
    public void Options_bind_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hangfire:ElasticSqs:Queues:default"] = "https://sqs.us-east-1.amazonaws.com/1/worker",
            ["Hangfire:ElasticSqs:QueueNamePrefix"] = "app-",
            ["Hangfire:ElasticSqs:SigningKeys:k1"] = TestKeys.Current,
            ["Hangfire:ElasticSqs:SigningKeyId"] = "k1",
            ["Hangfire:ElasticSqs:SendFailureMode"] = "Throw",
            ["Hangfire:ElasticSqs:OutboxResendAfter"] = "00:01:00",
        }).Build();
        using var provider = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddElasticSqsStorage(o => o.OutboxSweepInterval = TimeSpan.FromSeconds(7))
            .BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ElasticSqsStorageOptions>>().Value;

        options.Queues.Should().ContainKey("default");
        options.QueueNamePrefix.Should().Be("app-");
        options.SigningKeyId.Should().Be("k1");
        options.SendFailureMode.Should().Be(SendFailureMode.Throw);
        options.OutboxResendAfter.Should().Be(TimeSpan.FromMinutes(1));
        options.OutboxSweepInterval.Should().Be(TimeSpan.FromSeconds(7), "code configuration applies after binding");
    }

    [Test]
    public async Task Bound_options_are_validated_when_the_host_starts_with_every_problem_together()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hangfire:ElasticSqs:Queues:Bad Queue"] = "my queue!",
            ["Hangfire:ElasticSqs:OutboxSweepInterval"] = "00:00:00",
        });
        builder.Services.AddElasticSqsStorage();
        using var host = builder.Build();

        var start = () => host.StartAsync();

        var failures = (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Failures.ToList();
        failures.Should().HaveCount(5);
        failures.Should().Contain(f => f.Contains("Hangfire queue name 'Bad Queue'", StringComparison.Ordinal));
        failures.Should().Contain(f => f.Contains("'my queue!' is neither a queue URL", StringComparison.Ordinal));
        failures.Should().Contain(f => f.StartsWith("SigningKeys is empty", StringComparison.Ordinal));
        failures.Should().Contain(f => f.StartsWith("SigningKeyId is not set", StringComparison.Ordinal));
        failures.Should().Contain(f => f.StartsWith("OutboxSweepInterval must be positive", StringComparison.Ordinal));
    }
}
