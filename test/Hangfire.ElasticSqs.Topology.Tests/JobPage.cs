using System.Globalization;
using System.Text.RegularExpressions;

namespace Hangfire.ElasticSqs.Topology.Tests;

/// <summary>One state in a job's history as the Dashboard's job page shows it: name, the text under it, its time when absolute.</summary>
public sealed record DashboardState(string Name, string Text, DateTimeOffset? At)
{
    public override string ToString() => $"{Name}: {(Text.Length > 160 ? Text[..160] + "…" : Text)}";
}

/// <summary>The Dashboard's job details page (<c>/hangfire/jobs/details/{id}</c>), parsed into what a user reads.</summary>
public sealed partial class JobPage
{
    private JobPage(string jobId, string html)
    {
        JobId = jobId;
        Html = html;
        Text = DashboardClient.ToText(html);
        // Each state is a <div class="state-card ...">, newest first; the bottom card is the job's creation, not a state.
        var cards = StateCard().Split(html).Skip(1);
        States = [.. cards.Select(Parse).Where(s => s.Name != "Created")];
    }

    public string JobId { get; }

    public string Html { get; }

    public string Text { get; }

    /// <summary>The job's states, newest first (the page's order).</summary>
    public IReadOnlyList<DashboardState> States { get; }

    public string? Current => States.Count > 0 ? States[0].Name : null;

    /// <summary>The states oldest first, names only: the job's path through Hangfire.</summary>
    public IReadOnlyList<string> Path => [.. States.Reverse().Select(s => s.Name)];

    public IEnumerable<DashboardState> StatesNamed(string name) => States.Where(s => s.Name == name);

    public static async Task<JobPage> LoadAsync(DashboardClient dashboard, string jobId)
        => new(jobId, await dashboard.GetAsync($"/hangfire/jobs/details/{jobId}"));

    /// <summary>Waits until the job's current state on the Dashboard is <paramref name="state"/>.</summary>
    public static Task<JobPage> WaitForAsync(DashboardClient dashboard, string jobId, string state, TimeSpan? timeout = null)
        => Testing.Eventually.Until(() => LoadAsync(dashboard, jobId), p => p.Current == state,
            $"job {jobId} to be {state} on the web Dashboard", timeout ?? TimeSpan.FromSeconds(60));

    public override string ToString() => $"job {JobId}: {string.Join(" → ", Path)}";

    private static DashboardState Parse(string card)
    {
        var end = card.IndexOf("</h4>", StringComparison.Ordinal);
        var title = end < 0 ? card : card[..end];
        var name = DashboardClient.ToText(Small().Replace(title[(title.IndexOf('>') + 1)..], " "));
        var body = end < 0 ? string.Empty : DashboardClient.ToText(card[(end + 5)..]);
        var moment = Moment().Match(title);
        DateTimeOffset? at = moment.Success ? DateTimeOffset.FromUnixTimeSeconds(long.Parse(moment.Groups[1].Value, CultureInfo.InvariantCulture)) : null;
        return new DashboardState(name, body, at);
    }

    [GeneratedRegex("<div class=\"state-card[ \"]")]
    private static partial Regex StateCard();

    [GeneratedRegex("<small.*?</small>", RegexOptions.Singleline)]
    private static partial Regex Small();

    [GeneratedRegex("data-moment=\"(\\d+)\"")]
    private static partial Regex Moment();
}
