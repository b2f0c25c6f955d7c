using System.Globalization;
using Hangfire.ElasticSqs.Testing;
using Hangfire.PostgreSql;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>
/// (6) Database round trips per job on Hangfire.PostgreSql: the stock server, poll mode and the sqsd endpoint run the
/// same no-op jobs, and Npgsql's logs count every command and commit they send, by statement kind. Unlike the rates of
/// (3), these counts do not depend on the machine's load, so they guard against a regression on a busy machine too.
/// </summary>
internal static class RoundTripBenchmark
{
    private const string Name = "6 Round trips, PostgreSQL";
    private const double PollModeCeiling = 28.5;
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task RunAsync(Report report, Settings settings)
    {
        Console.WriteLine("== (6) Database round trips per job on PostgreSQL");
        var jobs = settings.Quick ? 300 : 1000; // enough to spread the server's start-up thin
        await using var postgres = await PostgresServer.StartAsync();
        var connectionString = await postgres.CreateDatabaseAsync("roundtrips");
        await using var standIn = await SqsStandIn.StartAsync();
        using var sqs = WorkerApp.Client(standIn.Url);
        using var counter = new RoundTripCounter(connectionString);

        PostgreSqlStorage Storage(string schema)
        {
            var options = new PostgreSqlStorageOptions { SchemaName = schema, PrepareSchemaIfNecessary = true };
            return new PostgreSqlStorage(counter, options);
        }

        var stock = await StockAsync(Storage("rt_stock"), counter, jobs, settings.WorkerCount);
        var poll = await PollAsync(Storage("rt_poll"), counter, standIn, sqs, jobs, settings.WorkerCount);
        var endpoint = await EndpointAsync(Storage("rt_endpoint"), counter, standIn, sqs, jobs, settings.WorkerCount);
        var cases = new List<(string Case, Dictionary<string, long> Counts)>
        {
            ("stock BackgroundJobServer", stock.Run),
            ("poll mode", poll.Run),
            ("sqsd endpoint", endpoint.Run),
        };

        Console.WriteLine("   Running the jobs:");
        Print(cases, jobs);
        Console.WriteLine("   Enqueueing them (BackgroundJob.Enqueue; ElasticSqs: the job, the Dashboard's queue view and the outbox record, and clearing the record once sent):");
        Print([("stock BackgroundJobServer", stock.Enqueue), ("poll mode", poll.Enqueue), ("sqsd endpoint", endpoint.Enqueue)], jobs);
        report.Add(Name, $"stock: database round trips per enqueue", "none", [RoundTripCounter.RoundTrips(stock.Enqueue) / (double)jobs], "round trips/job", null);
        report.Add(Name, $"ElasticSqs: database round trips per enqueue (job, queue view, outbox record and its clearing)", "stand-in 0 ms", [RoundTripCounter.RoundTrips(poll.Enqueue) / (double)jobs], "round trips/job", null);
        foreach (var (sql, count) in counter.Samples.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            Console.WriteLine(FormattableString.Invariant($"   SQL x{count}: {sql.ReplaceLineEndings(" ")}"));
        }

        var stockTrips = RoundTripCounter.RoundTrips(cases[0].Counts) / (double)jobs;
        foreach (var (@case, counts) in cases)
        {
            var commands = counts.Where(c => c.Key is not (RoundTripCounter.Commit or RoundTripCounter.Rollback or RoundTripCounter.Begin)).Sum(c => c.Value) / (double)jobs;
            var commits = counts.GetValueOrDefault(RoundTripCounter.Commit) / (double)jobs;
            var trips = RoundTripCounter.RoundTrips(counts) / (double)jobs;
            report.Add(Name, $"{@case}: database round trips per job ({jobs} no-op jobs, {settings.WorkerCount} workers)", @case == "stock BackgroundJobServer" ? "none" : "stand-in 0 ms", [trips], "round trips/job", null,
                FormattableString.Invariant($"{commands:0.00} commands + {commits:0.00} commits per job; {trips / stockTrips:0.00}× the stock server's"));
        }

        var kinds = cases.SelectMany(c => c.Counts.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var kind in kinds)
        {
            var perJob = cases.Select(c => c.Counts.GetValueOrDefault(kind) / (double)jobs).ToList();
            if (perJob.All(v => v < 0.005))
            {
                continue;
            }

            report.Add(Name, "per job: " + kind, "—", [perJob[1]], "per job (poll mode)", null,
                FormattableString.Invariant($"stock {perJob[0]:0.00} / poll mode {perJob[1]:0.00} / sqsd endpoint {perJob[2]:0.00}"));
        }

        var pollTrips = RoundTripCounter.RoundTrips(cases[1].Counts) / (double)jobs;
        // Hangfire's own Worker and state machine make 26 round trips per job on Hangfire.PostgreSql 1.21 (two state
        // locks at 6 each, two job reads, three parameter reads, two state writes, two expiry updates, three counters,
        // two commits); poll mode adds the pipeline's state read and the Enqueued page's entry. The margin covers the
        // server's start-up and background processes, counted in the same window.
        report.Judge(FormattableString.Invariant($"PostgreSQL: poll mode database round trips per job ≤ {PollModeCeiling} (Hangfire's 26 + the pipeline's state read + the Enqueued page's entry)"), pollTrips, PollModeCeiling, atLeast: false,
            FormattableString.Invariant($"poll mode {pollTrips:0.00}, stock {stockTrips:0.00}, sqsd endpoint {RoundTripCounter.RoundTrips(cases[2].Counts) / (double)jobs:0.00} round trips per job"));
    }

    private static async Task<(Dictionary<string, long> Enqueue, Dictionary<string, long> Run)> StockAsync(PostgreSqlStorage storage, RoundTripCounter counter, int jobs, int workers)
    {
        var client = new BackgroundJobClient(storage);
        counter.Start();
        for (var i = 0; i < jobs; i++)
        {
            client.Enqueue(() => Jobs.NoOp());
        }

        var enqueue = counter.Stop();
        return (enqueue, await CountRunAsync(storage, counter, jobs, () => new BackgroundJobServer(Server(workers), storage)));
    }

    private static async Task<(Dictionary<string, long> Enqueue, Dictionary<string, long> Run)> PollAsync(PostgreSqlStorage inner, RoundTripCounter counter, SqsStandIn standIn, Amazon.SQS.IAmazonSQS sqs, int jobs, int workers)
    {
        using var storage = PollModeBenchmark.Storage(inner, sqs, "rt-poll-");
        storage.Outbox.PendingCount(); // the storage's one-time reads (store identity) are not an enqueue's
        counter.Start();
        await PollModeBenchmark.SeedAsync(storage, standIn, "rt-poll-", jobs); // returns once every outbox record is cleared
        var enqueue = counter.Stop();
        return (enqueue, await CountRunAsync(inner, counter, jobs, () => new BackgroundJobServer(Server(workers), storage)));
    }

    private static async Task<(Dictionary<string, long> Enqueue, Dictionary<string, long> Run)> EndpointAsync(PostgreSqlStorage inner, RoundTripCounter counter, SqsStandIn standIn, Amazon.SQS.IAmazonSQS sqs, int jobs, int workers)
    {
        await using var app = await WorkerApp.StartAsync(inner, sqs, "rt-x-", workers);
        using var load = new LoadGenerator(app.Url, ExecutionBenchmarks.Connections);
        app.Storage.Outbox.PendingCount();
        counter.Start();
        var messages = await ExecutionBenchmarks.PrepareAsync(app.Storage, standIn, jobs);
        var enqueue = counter.Stop();
        counter.Start();
        await load.DeliverAsync(messages); // every 200 comes after the job's final commit
        var counts = counter.Stop();
        Succeeded(inner, jobs);
        return (enqueue, counts);
    }

    /// <summary>Counts from the server's start until every job's Succeeded state is committed.</summary>
    private static async Task<Dictionary<string, long>> CountRunAsync(PostgreSqlStorage inner, RoundTripCounter counter, int jobs, Func<IDisposable> server)
    {
        var timer = StateTimer.Install();
        counter.Start();
        Dictionary<string, long> counts;
        using (server())
        {
            await timer.WaitForAsync(jobs, TimeSpan.FromMinutes(3));

            // The filter sees Succeeded before its transaction commits: wait for the last commits to land.
            await Eventually.True(() => RoundTripCounter.Uncounted(() => inner.GetMonitoringApi().SucceededListCount()) >= jobs, "every job committed as Succeeded");
            counts = counter.Stop();
        }

        StateTimer.Install();
        return counts;
    }

    private static void Succeeded(PostgreSqlStorage inner, int jobs)
    {
        var succeeded = inner.GetMonitoringApi().SucceededListCount();
        if (succeeded != jobs)
        {
            throw new InvalidOperationException($"{succeeded} of {jobs} jobs succeeded");
        }
    }

    private static BackgroundJobServerOptions Server(int workers) => new()
    {
        WorkerCount = workers,
        Activator = new JobActivator(),
        ServerTimeout = TimeSpan.FromMinutes(5),
    };

    private static void Print(List<(string Case, Dictionary<string, long> Counts)> cases, int jobs)
    {
        Console.WriteLine(FormattableString.Invariant($"   Database round trips per job ({jobs} jobs); a BEGIN travels with the next command, so it is no round trip of its own:"));
        Console.WriteLine("   " + string.Join(" | ", new[] { "kind".PadRight(48) }.Concat(cases.Select(c => c.Case.PadLeft(26)))));
        var kinds = cases.SelectMany(c => c.Counts.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var kind in kinds)
        {
            Console.WriteLine("   " + string.Join(" | ", new[] { Truncate(kind, 48).PadRight(48) }.Concat(cases.Select(c => (c.Counts.GetValueOrDefault(kind) / (double)jobs).ToString("0.000", Inv).PadLeft(26)))));
        }

        Console.WriteLine("   " + string.Join(" | ", new[] { "round trips (commands + commits + rollbacks)".PadRight(48) }.Concat(cases.Select(c => (RoundTripCounter.RoundTrips(c.Counts) / (double)jobs).ToString("0.000", Inv).PadLeft(26)))));
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..(length - 1)] + "…";
}
