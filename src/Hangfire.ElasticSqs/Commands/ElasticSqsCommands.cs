using Hangfire.ElasticSqs.Commands;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Hangfire;

/// <summary>
/// Command-line tools run by the application itself, so that they see its own configuration (queue mapping, SQS
/// client, Hangfire storage): <c>dotnet MyApp.dll elasticsqs queues create|stats|purge|redrive|dead-letters</c>, and
/// with the worker package <c>elasticsqs cron-yaml</c>.
/// </summary>
/// <remarks>
/// Call <see cref="TryRunElasticSqsCommandAsync"/> after the application is built (and its recurring jobs are
/// registered, for cron-yaml) and before it runs:
/// <code>
/// var app = builder.Build();
/// RecurringJob.AddOrUpdate("nightly-report", () => Reports.Nightly(), Cron.Daily());
/// if (await app.TryRunElasticSqsCommandAsync(args))
/// {
///     return; // the command ran; Environment.ExitCode holds its result
/// }
///
/// app.Run();
/// </code>
/// The command does not start the host (no server, no Kestrel). Exit codes: 0 success, 1 failure, 2 usage error.
/// </remarks>
public static class ElasticSqsCommands
{
    internal const string CommandName = "elasticsqs";
    internal const int Success = 0;
    internal const int Failure = 1;
    internal const int UsageError = 2;

    /// <summary>
    /// Runs the command selected by <paramref name="args"/>, if any, writing to the console and setting
    /// <see cref="Environment.ExitCode"/> to its result.
    /// </summary>
    /// <param name="host">The built application; it is not started.</param>
    /// <param name="args">The application's command-line arguments.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>True when the first argument is <c>elasticsqs</c> and the command ran (the application should then exit); false otherwise.</returns>
    public static async Task<bool> TryRunElasticSqsCommandAsync(this IHost host, string[] args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(args);
        if (!IsCommand(args))
        {
            return false;
        }

        Environment.ExitCode = await RunAsync(host.Services, args, Console.Out, Console.Error, Console.In, cancellationToken).ConfigureAwait(false);
        return true;
    }

    internal static bool IsCommand(IReadOnlyList<string> args)
        => args is { Count: > 0 } && string.Equals(args[0], CommandName, StringComparison.OrdinalIgnoreCase);

    internal static async Task<int> RunAsync(IServiceProvider services, IReadOnlyList<string> args, TextWriter output, TextWriter error, TextReader? input = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(args);
        var commands = Commands(services);
        var usage = "Usage:\n" + string.Join("\n\n", commands.Select(c => c.Usage));
        if (!IsCommand(args))
        {
            await error.WriteLineAsync($"The first argument must be '{CommandName}'.\n{usage}").ConfigureAwait(false);
            return UsageError;
        }

        if (args.Count < 2 || args[1] is "help" or "--help" or "-h")
        {
            await (args.Count < 2 ? error : output).WriteLineAsync(usage).ConfigureAwait(false);
            return args.Count < 2 ? UsageError : Success;
        }

        var command = commands.FirstOrDefault(c => string.Equals(c.Name, args[1], StringComparison.Ordinal));
        if (command is null)
        {
            var hint = args[1] == "cron-yaml" ? " cron-yaml comes with Hangfire.ElasticSqs.Worker: call services.AddHangfireElasticSqsWorker()." : string.Empty;
            await error.WriteLineAsync($"Unknown command '{args[1]}'.{hint}\n{usage}").ConfigureAwait(false);
            return UsageError;
        }

        return await command.RunAsync(new CommandContext(services, [.. args.Skip(2)], output, error, input ?? TextReader.Null, cancellationToken)).ConfigureAwait(false);
    }

    private static List<IElasticSqsCommand> Commands(IServiceProvider services)
        => [new QueuesCommand(), .. services.GetServices<IElasticSqsCommand>()];
}
