using Hangfire.Dashboard;

namespace Hangfire.ElasticSqs.Dashboard;

/// <summary>Adds the SQS page, its menu item and its live metric to the Hangfire Dashboard (once per process).</summary>
internal static class ElasticSqsDashboard
{
    public const string PagePath = "/elasticsqs/sqs";

    private static int s_registered;

    /// <summary>Messages visible in all mapped queues: the menu badge, refreshed by the Dashboard's stats polling.</summary>
    public static readonly DashboardMetric VisibleMessages = new("elasticsqs:visible", "SQS visible messages", page =>
    {
        if (page.Storage is not ElasticSqsStorage storage)
        {
            return new Metric(0);
        }

        var snapshot = storage.Monitor.Read();
        var visible = snapshot.Queues.Sum(q => q.Visible ?? 0);
        var failing = snapshot.Queues.Any(q => q.Error is not null);
        return new Metric(visible) { Style = failing ? MetricStyle.Danger : visible > 0 ? MetricStyle.Info : MetricStyle.Default, Highlighted = failing };
    });

    public static void Register()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 1)
        {
            return;
        }

        DashboardRoutes.Routes.AddRazorPage(PagePath, _ => new SqsDashboardPage());
        DeadLettersDashboard.Register();
        DashboardMetrics.AddMetric(VisibleMessages);
        NavigationMenu.Items.Add(page => new MenuItem("SQS", page.Url.To(PagePath))
        {
            Active = page.RequestPath.StartsWith(PagePath, StringComparison.OrdinalIgnoreCase),
            Metric = VisibleMessages,
        });
    }
}
