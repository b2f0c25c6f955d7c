using System.Globalization;
using Hangfire.Server;
using Npgsql;

namespace Hangfire.ElasticSqs.Reliability.Tests.Support;

/// <summary>
/// Probe jobs for the poll-mode scenarios: each execution records itself, with its Hangfire job id and process id,
/// in a table of the scenario's PostgreSQL database (committed before the job's work begins), independent of the
/// inner storage's own bookkeeping and of SQS, so that the tests count real starts per job across processes.
/// </summary>
public static class PgProbe
{
    private const string Table = "reliability_probe_runs";

    public static void CreateTable(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"create table if not exists {Table} (id bigserial primary key, job_id text not null, key text not null, pid int not null, started timestamptz not null default clock_timestamp(), ended timestamptz)", connection);
        command.ExecuteNonQuery();
    }

    /// <summary>Records its start, then returns at once.</summary>
    public static void Run(string connectionString, string key, PerformContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = Start(connectionString, context.BackgroundJob.Id, key);
        End(connectionString, id);
    }

    /// <summary>Records its start, then blocks until <paramref name="releaseFile"/> exists (at most two minutes).</summary>
    public static void Block(string connectionString, string key, string releaseFile, PerformContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = Start(connectionString, context.BackgroundJob.Id, key);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!File.Exists(releaseFile) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        End(connectionString, id);
    }

    public static IReadOnlyList<ProbeRun> Runs(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"select job_id, key, pid, started, ended from {Table} order by id", connection);
        using var reader = command.ExecuteReader();
        var runs = new List<ProbeRun>();
        while (reader.Read())
        {
            runs.Add(new ProbeRun(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetDateTime(3), reader.IsDBNull(4) ? null : reader.GetDateTime(4)));
        }

        return runs;
    }

    private static long Start(string connectionString, string jobId, string key)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"insert into {Table} (job_id, key, pid) values (@job, @key, @pid) returning id", connection);
        command.Parameters.AddWithValue("job", jobId);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("pid", Environment.ProcessId);
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void End(string connectionString, long id)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"update {Table} set ended = clock_timestamp() where id = @id", connection);
        command.Parameters.AddWithValue("id", id);
        command.ExecuteNonQuery();
    }
}

/// <summary>One execution of a <see cref="PgProbe"/> job.</summary>
public sealed record ProbeRun(string JobId, string Key, int ProcessId, DateTime Started, DateTime? Ended);
