using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Operations;
using Microsoft.Extensions.DependencyInjection;

namespace Hangfire.ElasticSqs.Commands;

/// <summary><c>elasticsqs queues create|stats|purge|redrive|dead-letters</c>, over the queues the storage options map.</summary>
internal sealed class QueuesCommand : IElasticSqsCommand
{
    public string Name => "queues";

    public string Usage => """
          elasticsqs queues <create|stats|purge|redrive|dead-letters> [--queue <hangfire queue>]...

            Works on every Hangfire queue of ElasticSqsStorageOptions.Queues (plus 'default' when QueueNamePrefix is set),
            or only on those named with --queue.
            create        creates each queue and its dead-letter queue (<name>-dlq, 14-day retention) with a redrive policy;
                          idempotent, and prints what it did
                          --host <sqsd|poll|lambda>   the settings to use (default: poll when ReceiveFromSqs, else sqsd)
                          --visibility-timeout <s>    overrides the host's visibility timeout
                          --max-receive-count <n>     deliveries before a message is dead (default 5)
            stats         approximate visible / in-flight / delayed / dead-letter counts per queue
            purge         deletes every message of the queues (--dead-letters: of their dead-letter queues); asks first
                          unless --yes
            redrive       moves dead letters back to their source queue, and prints how many
            dead-letters  lists dead letters: message id, job id, method, receive count, first received, reason
                          --limit <n>                 at most n per queue (default 100)
        """;

    public async Task<int> RunAsync(CommandContext context)
    {
        if (context.Arguments.Count == 0 || context.Arguments[0] is "--help" or "-h")
        {
            await (context.Arguments.Count == 0 ? context.Error : context.Output).WriteLineAsync(Usage).ConfigureAwait(false);
            return context.Arguments.Count == 0 ? ElasticSqsCommands.UsageError : ElasticSqsCommands.Success;
        }

        var action = context.Arguments[0];
        if (action is not ("create" or "stats" or "purge" or "redrive" or "dead-letters"))
        {
            await context.Error.WriteLineAsync($"Unknown queues command '{action}'.\n{Usage}").ConfigureAwait(false);
            return ElasticSqsCommands.UsageError;
        }

        if (!QueuesArguments.TryParse(context.Arguments.Skip(1).ToList(), out var arguments, out var problem))
        {
            await context.Error.WriteLineAsync(problem + "\n" + Usage).ConfigureAwait(false);
            return ElasticSqsCommands.UsageError;
        }

        if (context.Services.GetService<JobStorage>() is not ElasticSqsStorage storage)
        {
            await context.Error.WriteLineAsync("The queues commands need ElasticSqsStorage as the Hangfire storage: configure services.AddHangfire((provider, c) => c.UseElasticSqsStorage(provider)).").ConfigureAwait(false);
            return ElasticSqsCommands.Failure;
        }

        IReadOnlyList<QueueTarget> targets;
        try
        {
            targets = QueueTarget.For(storage.Options, arguments.Queues);
        }
        catch (ArgumentException ex)
        {
            await context.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ElasticSqsCommands.UsageError;
        }

        if (targets.Count == 0)
        {
            await context.Error.WriteLineAsync("No Hangfire queue is mapped: set ElasticSqsStorageOptions.Queues or QueueNamePrefix, or name queues with --queue.").ConfigureAwait(false);
            return ElasticSqsCommands.Failure;
        }

        try
        {
            return action switch
            {
                "create" => await CreateAsync(context, storage, targets, arguments).ConfigureAwait(false),
                "stats" => await StatsAsync(context, storage, targets).ConfigureAwait(false),
                "purge" => await PurgeAsync(context, storage, targets, arguments).ConfigureAwait(false),
                "redrive" => await RedriveAsync(context, storage, targets).ConfigureAwait(false),
                _ => await ListAsync(context, storage, targets, arguments).ConfigureAwait(false),
            };
        }
        catch (AmazonSQSException ex)
        {
            await context.Error.WriteLineAsync($"SQS refused the call: {ex.ErrorCode}: {ex.Message}").ConfigureAwait(false);
            return ElasticSqsCommands.Failure;
        }
        catch (UnknownQueueException ex)
        {
            await context.Error.WriteLineAsync(ex.Message + " (elasticsqs queues create creates the mapped queues)").ConfigureAwait(false);
            return ElasticSqsCommands.Failure;
        }
    }

    private static async Task<int> CreateAsync(CommandContext context, ElasticSqsStorage storage, IReadOnlyList<QueueTarget> targets, QueuesArguments arguments)
    {
        var host = arguments.Host ?? (storage.Options.ReceiveFromSqs ? "poll" : "sqsd");
        var defaults = QueueSettings.ForHost(host);
        var settings = new QueueSettings(arguments.VisibilityTimeout ?? defaults.VisibilityTimeoutSeconds, arguments.MaxReceiveCount ?? defaults.MaxReceiveCount);
        await context.Output.WriteLineAsync($"Setting up {targets.Count} queue(s) for the {host} host: VisibilityTimeout={settings.VisibilityTimeoutSeconds} s, maxReceiveCount={settings.MaxReceiveCount}.").ConfigureAwait(false);
        var setup = new QueueSetup(storage.Sqs, settings);
        foreach (var target in targets)
        {
            foreach (var line in await setup.ApplyAsync(target, context.CancellationToken).ConfigureAwait(false))
            {
                await context.Output.WriteLineAsync($"  [{target.HangfireQueue}] {line}").ConfigureAwait(false);
            }

            storage.Publisher.Resolver.Forget(target.HangfireQueue);
        }

        return ElasticSqsCommands.Success;
    }

    private static async Task<int> StatsAsync(CommandContext context, ElasticSqsStorage storage, IReadOnlyList<QueueTarget> targets)
    {
        var output = context.Output;
        await output.WriteLineAsync(string.Format(CultureInfo.InvariantCulture, "{0,-20} {1,-40} {2,9} {3,9} {4,9} {5,12}", "Hangfire queue", "SQS queue", "visible", "in flight", "delayed", "dead letters")).ConfigureAwait(false);
        foreach (var target in targets)
        {
            var queue = await storage.Publisher.Resolver.ResolveAsync(target.HangfireQueue, context.CancellationToken).ConfigureAwait(false);
            var attributes = (await storage.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest(queue.Url, ["All"]), context.CancellationToken).ConfigureAwait(false)).Attributes ?? [];
            var deadLetters = "no DLQ";
            if (await DeadLetterQueue.FindBySourceAsync(storage, queue.Url, context.CancellationToken).ConfigureAwait(false) is { } dlq)
            {
                var dlqAttributes = await storage.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest(dlq.Url, ["ApproximateNumberOfMessages"]), context.CancellationToken).ConfigureAwait(false);
                deadLetters = dlqAttributes.ApproximateNumberOfMessages.ToString(CultureInfo.InvariantCulture);
            }

            await output.WriteLineAsync(string.Format(
                CultureInfo.InvariantCulture,
                "{0,-20} {1,-40} {2,9} {3,9} {4,9} {5,12}",
                target.HangfireQueue,
                queue.Name,
                attributes.GetValueOrDefault("ApproximateNumberOfMessages", "?"),
                attributes.GetValueOrDefault("ApproximateNumberOfMessagesNotVisible", "?"),
                attributes.GetValueOrDefault("ApproximateNumberOfMessagesDelayed", "?"),
                deadLetters)).ConfigureAwait(false);
        }

        return ElasticSqsCommands.Success;
    }

    private static async Task<int> PurgeAsync(CommandContext context, ElasticSqsStorage storage, IReadOnlyList<QueueTarget> targets, QueuesArguments arguments)
    {
        var urls = new List<(string Name, string Url)>();
        foreach (var target in targets)
        {
            var queue = await storage.Publisher.Resolver.ResolveAsync(target.HangfireQueue, context.CancellationToken).ConfigureAwait(false);
            if (!arguments.DeadLetters)
            {
                urls.Add((queue.Name, queue.Url));
            }
            else if (await DeadLetterQueue.FindBySourceAsync(storage, queue.Url, context.CancellationToken).ConfigureAwait(false) is { } dlq)
            {
                urls.Add((dlq.Name, dlq.Url));
            }
        }

        if (urls.Count == 0)
        {
            await context.Output.WriteLineAsync("No dead-letter queue to purge (no queue has a redrive policy).").ConfigureAwait(false);
            return ElasticSqsCommands.Success;
        }

        var names = string.Join(", ", urls.Select(u => u.Name));
        if (!arguments.Yes)
        {
            await context.Output.WriteAsync($"This deletes every message of {names}, for good. Type 'yes' to go on: ").ConfigureAwait(false);
            var answer = await context.Input.ReadLineAsync(context.CancellationToken).ConfigureAwait(false);
            if (!string.Equals(answer?.Trim(), "yes", StringComparison.OrdinalIgnoreCase))
            {
                await context.Error.WriteLineAsync("Not purged: the answer was not 'yes' (pass --yes to skip the question).").ConfigureAwait(false);
                return ElasticSqsCommands.Failure;
            }
        }

        foreach (var (name, url) in urls)
        {
            try
            {
                await storage.Sqs.PurgeQueueAsync(url, context.CancellationToken).ConfigureAwait(false);
                await context.Output.WriteLineAsync($"Purged {name} (SQS may take up to 60 seconds to delete every message).").ConfigureAwait(false);
            }
            catch (PurgeQueueInProgressException)
            {
                await context.Error.WriteLineAsync($"{name} was purged less than 60 seconds ago; SQS allows one purge a minute. Try again shortly.").ConfigureAwait(false);
                return ElasticSqsCommands.Failure;
            }
        }

        return ElasticSqsCommands.Success;
    }

    private static async Task<int> RedriveAsync(CommandContext context, ElasticSqsStorage storage, IReadOnlyList<QueueTarget> targets)
    {
        var total = 0;
        foreach (var target in targets)
        {
            if (await DeadLetterQueue.FindAsync(storage, target.HangfireQueue, context.CancellationToken).ConfigureAwait(false) is not { } dlq)
            {
                await context.Output.WriteLineAsync($"[{target.HangfireQueue}] no dead-letter queue (no redrive policy)").ConfigureAwait(false);
                continue;
            }

            var moved = await dlq.RedriveAsync(null, context.CancellationToken).ConfigureAwait(false);
            total += moved;
            await context.Output.WriteLineAsync($"[{target.HangfireQueue}] moved {moved} message(s) from {dlq.Name} back to {target.Name}").ConfigureAwait(false);
        }

        await context.Output.WriteLineAsync($"Redrove {total} message(s).").ConfigureAwait(false);
        return ElasticSqsCommands.Success;
    }

    private static async Task<int> ListAsync(CommandContext context, ElasticSqsStorage storage, IReadOnlyList<QueueTarget> targets, QueuesArguments arguments)
    {
        foreach (var target in targets)
        {
            if (await DeadLetterQueue.FindAsync(storage, target.HangfireQueue, context.CancellationToken).ConfigureAwait(false) is not { } dlq)
            {
                await context.Output.WriteLineAsync($"[{target.HangfireQueue}] no dead-letter queue (no redrive policy)").ConfigureAwait(false);
                continue;
            }

            var letters = await dlq.ListAsync(arguments.Limit, context.CancellationToken).ConfigureAwait(false);
            await context.Output.WriteLineAsync($"[{target.HangfireQueue}] {dlq.Name}: {letters.Count} dead letter(s){(letters.Count >= arguments.Limit ? " (limit reached; --limit shows more)" : string.Empty)}").ConfigureAwait(false);
            foreach (var letter in letters)
            {
                await context.Output.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  message {letter.MessageId}  job {letter.JobId ?? "?"}  {letter.Method ?? "?"}  received {letter.ReceiveCount}x  first {letter.FirstReceivedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "?"}  {letter.Reason}")).ConfigureAwait(false);
            }
        }

        return ElasticSqsCommands.Success;
    }
}
