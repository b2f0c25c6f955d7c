using System.Collections.Concurrent;
using System.Net;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Testing;
using Hangfire.InMemory;
using Hangfire.States;
using Microsoft.Extensions.DependencyInjection;

namespace Hangfire.ElasticSqs.Worker.Tests.Delivery;

/// <summary>
/// Web and worker on separate in-memory stores (the zero-infrastructure deployment), and job activation through
/// ASP.NET Core dependency injection.
/// </summary>
public class ImportAndActivationTests
{
    private MotoServer _moto = null!;
    private WorkerTestHost _host = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _moto = await MotoServer.StartAsync();
        _host = await WorkerTestHost.StartAsync(_moto);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _host.DisposeAsync();
        await _moto.DisposeAsync();
    }

    [Test]
    public async Task With_an_allow_list_a_signed_job_of_an_unlisted_type_is_refused_naming_the_type_and_the_option()
    {
        await using var host = await WorkerTestHost.StartAsync(_moto, storage: o => o.AllowedJobTypes.Add(typeof(CountingJobs).FullName!));
        var key = Guid.NewGuid().ToString();
        host.Client.Enqueue<CountingJobs>(j => j.Count(key));
        (await host.DeliverAsync(await host.ReceiveAsync())).StatusCode.Should().Be(HttpStatusCode.OK, "a listed type runs");

        var refusedId = host.Client.Enqueue(() => Environment.Exit(3));
        var refused = await host.DeliverAsync(await host.ReceiveAsync());

        refused.StatusCode.Should().Be(HttpStatusCode.InternalServerError, "left for the dead-letter queue");
        (await refused.Content.ReadAsStringAsync()).Should().Contain("'System.Environment' is not in AllowedJobTypes");
        host.StateOf(refusedId).Should().Be(EnqueuedState.StateName, "it never ran");
        CountingJobs.RunsOf(key).Should().Be(1);
    }

    [Test]
    public async Task A_job_from_another_store_is_imported_from_the_verified_message_and_runs_once()
    {
        using var web = WebStorage();
        var key = Guid.NewGuid().ToString();
        var webJobId = new BackgroundJobClient(web).Enqueue<CountingJobs>(j => j.Count(key));
        var message = await _host.ReceiveAsync();
        var attributes = message.MessageAttributes.ToDictionary(a => a.Key, a => a.Value.StringValue);

        (await _host.DeliverAsync(message)).StatusCode.Should().Be(HttpStatusCode.OK);
        var duplicate = await _host.Http.SendAsync(WorkerTestHost.SqsdRequest(message.Body, attributes));

        duplicate.StatusCode.Should().Be(HttpStatusCode.OK);
        CountingJobs.RunsOf(key).Should().Be(1, "the duplicate finds the imported copy finished");
        var imported = _host.Storage.GetMonitoringApi().SucceededJobs(0, 100).Select(j => j.Key)
            .Where(id => _host.Storage.GetConnection().GetJobParameter(id, "ElasticSqsOrigin") == web.StoreId + ":" + webJobId)
            .Should().ContainSingle().Subject;
        _host.StateOf(imported).Should().Be(SucceededState.StateName);
    }

    [Test]
    public async Task An_imported_retry_keeps_its_retry_count()
    {
        using var web = WebStorage();
        var key = Guid.NewGuid().ToString();
        var webJobId = new BackgroundJobClient(web).Enqueue<CountingJobs>(j => j.FailTwice(key));
        var message = await _host.ReceiveAsync();
        await _host.Sqs.DeleteMessageAsync(_host.QueueUrl(), message.ReceiptHandle);

        // The same job as a web-side retry would carry it: retry 2, re-signed by the web tier's key.
        var envelope = JobEnvelope.Parse(System.Text.Encoding.UTF8.GetBytes(message.Body));
        var retried = JobMessage.Create(envelope, retry: 2, due: null, web.Signer);
        var response = await _host.Http.SendAsync(WorkerTestHost.SqsdRequest(
            System.Text.Encoding.UTF8.GetString(retried.Body), retried.ToAttributes().ToDictionary(a => a.Key, a => a.Value.StringValue)));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var connection = _host.Storage.GetConnection();
        var imported = _host.Storage.GetMonitoringApi().ScheduledJobs(0, 100).Select(j => j.Key)
            .Single(id => connection.GetJobParameter(id, "ElasticSqsOrigin") == web.StoreId + ":" + webJobId);
        connection.GetJobParameter(imported, "RetryCount").Should().Be("3", "attempt 3 of 3 failed: the count continued from the message's 2");
    }

    [Test]
    public async Task Jobs_are_activated_through_dependency_injection_in_a_scope_of_their_own()
    {
        await using var host = await WorkerTestHost.StartAsync(_moto, services: s => s.AddScoped<ScopedDependency>().AddScoped<ScopedJob>());
        var first = host.Client.Enqueue<ScopedJob>(j => j.Run("a", CancellationToken.None));
        var second = host.Client.Enqueue<ScopedJob>(j => j.Run("b", CancellationToken.None));

        (await host.DeliverAsync(await host.ReceiveAsync())).StatusCode.Should().Be(HttpStatusCode.OK);
        (await host.DeliverAsync(await host.ReceiveAsync())).StatusCode.Should().Be(HttpStatusCode.OK);

        host.StateOf(first).Should().Be(SucceededState.StateName);
        host.StateOf(second).Should().Be(SucceededState.StateName);
        ScopedJob.Seen["a"].Scope.Should().NotBe(ScopedJob.Seen["b"].Scope, "each job runs in its own DI scope");
        ScopedJob.Seen["a"].TokenCanBeCanceled.Should().BeTrue("Hangfire passes its shutdown-aware token to CancellationToken parameters");
    }

    private ElasticSqsStorage WebStorage()
    {
        var options = new ElasticSqsStorageOptions { QueueNamePrefix = _host.Prefix, SigningKeyId = WorkerTestHost.KeyId };
        options.SigningKeys[WorkerTestHost.KeyId] = WorkerTestHost.Key;
        return new ElasticSqsStorage(new InMemoryStorage(), options, _host.Sqs);
    }
}

/// <summary>A dependency registered as scoped: a new instance per job.</summary>
public sealed class ScopedDependency
{
    public Guid Id { get; } = Guid.NewGuid();
}

/// <summary>A job class activated from the container.</summary>
public sealed class ScopedJob(ScopedDependency dependency)
{
    public static readonly ConcurrentDictionary<string, (Guid Scope, bool TokenCanBeCanceled)> Seen = new();

    public void Run(string key, CancellationToken cancellationToken) => Seen[key] = (dependency.Id, cancellationToken.CanBeCanceled);
}
