using Hangfire.ElasticSqs.Reliability.Tests.Support;

namespace Hangfire.ElasticSqs.Reliability.Tests;

/// <summary>
/// This assembly doubles as the worker process the kill and shutdown scenarios need:
/// <c>dotnet Hangfire.ElasticSqs.Reliability.Tests.dll worker</c> runs <see cref="ReliabilityWorkerApp"/> with the
/// settings in <see cref="ReliabilityWorkerApp.SettingsVariable"/>. The test host never calls this.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["worker", ..])
        {
            await Console.Error.WriteLineAsync("usage: dotnet Hangfire.ElasticSqs.Reliability.Tests.dll worker (settings in " + ReliabilityWorkerApp.SettingsVariable + ")");
            return 2;
        }

        var settings = ReliabilityWorkerApp.SettingsFromEnvironment();
        var app = ReliabilityWorkerApp.Build(settings, console: true);
        await app.RunAsync();
        return 0;
    }
}
