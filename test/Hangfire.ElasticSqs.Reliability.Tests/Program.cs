using Hangfire.ElasticSqs.Reliability.Tests.Support;
using Microsoft.Extensions.Hosting;

namespace Hangfire.ElasticSqs.Reliability.Tests;

/// <summary>
/// This assembly doubles as the worker process the kill and shutdown scenarios need:
/// <c>dotnet Hangfire.ElasticSqs.Reliability.Tests.dll worker</c> runs <see cref="ReliabilityWorkerApp"/> (the sqsd
/// endpoint) with the settings in <see cref="ReliabilityWorkerApp.SettingsVariable"/>, and
/// <c>… poller</c> runs <see cref="ReliabilityPollerApp"/> (poll mode) with those in
/// <see cref="ReliabilityPollerApp.SettingsVariable"/>. The test host never calls this.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        switch (args)
        {
            case ["worker", ..]:
                await ReliabilityWorkerApp.Build(ReliabilityWorkerApp.SettingsFromEnvironment(), console: true).RunAsync();
                return 0;
            case ["poller", ..]:
                using (var host = ReliabilityPollerApp.Build(ReliabilityPollerApp.SettingsFromEnvironment()))
                {
                    await host.RunAsync();
                }

                return 0;
            default:
                await Console.Error.WriteLineAsync($"usage: dotnet Hangfire.ElasticSqs.Reliability.Tests.dll worker|poller (settings in {ReliabilityWorkerApp.SettingsVariable} or {ReliabilityPollerApp.SettingsVariable})");
                return 2;
        }
    }
}
