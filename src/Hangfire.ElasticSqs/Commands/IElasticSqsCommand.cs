namespace Hangfire.ElasticSqs.Commands;

/// <summary>
/// One <c>elasticsqs &lt;name&gt;</c> command. The core's commands are built in; a host package adds its own by
/// registering an implementation in the container (the worker package's <c>cron-yaml</c>).
/// </summary>
internal interface IElasticSqsCommand
{
    /// <summary>The second argument that selects the command.</summary>
    string Name { get; }

    /// <summary>Its usage text, shown by <c>elasticsqs help</c> and on a usage error.</summary>
    string Usage { get; }

    /// <summary>Runs the command and returns its exit code.</summary>
    Task<int> RunAsync(CommandContext context);
}

/// <summary>What a command runs with.</summary>
/// <param name="Services">The application's services, from the built host (not started).</param>
/// <param name="Arguments">The arguments after the command's name.</param>
/// <param name="Output">Where results go.</param>
/// <param name="Error">Where problems go.</param>
/// <param name="Input">Where confirmations are read from.</param>
/// <param name="CancellationToken">Cancels the command.</param>
internal sealed record CommandContext(IServiceProvider Services, IReadOnlyList<string> Arguments, TextWriter Output, TextWriter Error, TextReader Input, CancellationToken CancellationToken);
