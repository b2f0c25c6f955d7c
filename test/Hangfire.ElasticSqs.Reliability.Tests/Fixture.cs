using System.Diagnostics;
using Hangfire.ElasticSqs.Reliability.Tests.Support;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Reliability.Tests;

/// <summary>One moto SQS server and one PostgreSQL server for the scenarios that do not break them; prints the summary table at the end.</summary>
[SetUpFixture]
public sealed class Fixture
{
    private static readonly Stopwatch Clock = new();

    public static MotoServer Moto { get; private set; } = null!;

    public static PostgresServer Postgres { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartServers()
    {
        Clock.Start();
        Moto = await MotoServer.StartAsync();
        Postgres = await PostgresServer.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopServersAndPrintSummary()
    {
        await Moto.DisposeAsync();
        await Postgres.DisposeAsync();
        var table = Summary.Render(Clock.Elapsed);
        await TestContext.Progress.WriteLineAsync(table);
        await Console.Error.WriteLineAsync(table);
        try
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Hangfire.ElasticSqs.sln")))
            {
                root = root.Parent;
            }

            if (root is not null)
            {
                var results = Path.Combine(root.FullName, "artifacts", "test-results");
                Directory.CreateDirectory(results);
                await File.WriteAllTextAsync(Path.Combine(results, "reliability-summary.txt"), table);
            }
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A fresh PostgreSQL database with Hangfire's schema installed (before any worker process starts, so they do not race to install it).</summary>
    public static async Task<string> CreateHangfireDatabaseAsync(PostgresServer? server = null)
    {
        var connectionString = await (server ?? Postgres).CreateDatabaseAsync();
        _ = ReliabilityWorkerApp.PostgreSqlStorage(connectionString);
        return connectionString;
    }
}

/// <summary>Base of every scenario: a failed test still gets its row in the summary.</summary>
public abstract class ScenarioTest
{
    protected abstract string Scenario { get; }

    protected string Checks { get; set; } = string.Empty;

    protected string Numbers { get; set; } = string.Empty;

    [SetUp]
    public void ResetRow()
    {
        Checks = string.Empty;
        Numbers = string.Empty;
    }

    protected void Passed() => Summary.Pass(RowName, Checks, Numbers);

    private string RowName => Scenario;

    [TearDown]
    public void RecordFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            var message = TestContext.CurrentContext.Result.Message?.ReplaceLineEndings(" ") ?? string.Empty;
            Summary.Fail(RowName, string.IsNullOrEmpty(Checks) ? TestContext.CurrentContext.Test.Name : Checks, (Numbers + " " + (message.Length > 300 ? message[..300] : message)).Trim());
        }
    }
}
