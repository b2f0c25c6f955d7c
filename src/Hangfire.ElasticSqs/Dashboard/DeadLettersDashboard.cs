using Hangfire.Dashboard;
using Hangfire.ElasticSqs.Operations;

namespace Hangfire.ElasticSqs.Dashboard;

/// <summary>
/// The Dashboard's dead-letters page per Hangfire queue, with Redrive and Delete commands. Hangfire applies the
/// Dashboard's authorization to every route, these included; its commands accept POST only, and Hangfire.AspNetCore
/// validates the antiforgery token of every Dashboard POST (the Dashboard's script sends it) when the application
/// registers <c>IAntiforgery</c> (<c>services.AddAntiforgery()</c>), exactly as for its own Retry and Delete buttons.
/// A read-only Dashboard (<c>IsReadOnlyFunc</c>) refuses the commands.
/// </summary>
internal static class DeadLettersDashboard
{
    public const string PagePrefix = "/elasticsqs/dead-letters/";
    private const string Queue = "(?<queue>[a-z0-9_-]{1,80})";
    private const string MessageId = "(?<message>[0-9A-Za-z-]{1,100})";

    public static string PathOf(string hangfireQueue) => PagePrefix + Uri.EscapeDataString(hangfireQueue);

    public static void Register()
    {
        DashboardRoutes.Routes.AddRazorPage(PagePrefix + Queue, match => new DeadLettersPage(match.Groups["queue"].Value));
        DashboardRoutes.Routes.AddCommand(PagePrefix + Queue + "/redrive", context => Run(context, (dlq, ids) => dlq.RedriveAsync(ids, CancellationToken.None)));
        DashboardRoutes.Routes.AddCommand(PagePrefix + Queue + "/redrive/" + MessageId, context => Run(context, (dlq, ids) => dlq.RedriveAsync(ids, CancellationToken.None)));
        DashboardRoutes.Routes.AddCommand(PagePrefix + Queue + "/delete/" + MessageId, context => Run(context, (dlq, ids) => dlq.DeleteAsync(ids, CancellationToken.None)));
    }

    private static bool Run(DashboardContext context, Func<DeadLetterQueue, IReadOnlySet<string>?, Task<int>> action)
    {
        if (context.IsReadOnly || context.Storage is not ElasticSqsStorage storage)
        {
            return false;
        }

        var match = context.UriMatch;
        var queue = match.Groups["queue"].Value;
        IReadOnlySet<string>? ids = match.Groups["message"].Success ? new HashSet<string>([match.Groups["message"].Value], StringComparer.Ordinal) : null;
        try
        {
            var dlq = DeadLetterQueue.FindAsync(storage, queue, CancellationToken.None).GetAwaiter().GetResult();
            return dlq is not null && action(dlq, ids).GetAwaiter().GetResult() > 0;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            storage.Monitor.RecordError($"reading dead letters of queue '{queue}'", ex);
            return false;
        }
    }
}
