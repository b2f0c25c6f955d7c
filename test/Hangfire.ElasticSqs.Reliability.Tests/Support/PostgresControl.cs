using System.Diagnostics;
using Hangfire.ElasticSqs.Testing;
using Npgsql;

namespace Hangfire.ElasticSqs.Reliability.Tests.Support;

/// <summary>
/// Stops and starts a <see cref="PostgresServer"/> in place (same data directory and port) to simulate an inner
/// storage outage; the shared fixture has no restart of its own. Same server options as the fixture.
/// </summary>
public static class PostgresControl
{
    public static Task StopAsync(PostgresServer server)
    {
        NpgsqlConnection.ClearAllPools();
        // Fast, not immediate: the fixture runs with synchronous_commit=off and fsync=off, so an immediate stop would
        // also lose transactions already reported committed, an outage no durable production database has.
        return PgCtlAsync(server, $"-D {Data(server)} -m fast -w stop");
    }

    public static Task StartAsync(PostgresServer server)
    {
        var options = $"-c listen_addresses=127.0.0.1 -p {server.Port} -k {server.Directory} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        return PgCtlAsync(server, $"-D {Data(server)} -l {Path.Combine(server.Directory, "log")} -w -t 60 -o \"{options}\" start");
    }

    private static string Data(PostgresServer server) => Path.Combine(server.Directory, "data");

    private static async Task PgCtlAsync(PostgresServer server, string arguments)
    {
        var pgCtl = Path.Combine(Bin(), "pg_ctl");
        var start = Environment.UserName == "root"
            ? new ProcessStartInfo("runuser", $"-u postgres -- {pgCtl} {arguments}")
            : new ProcessStartInfo(pgCtl, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.WorkingDirectory = server.Directory;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_ctl {arguments} exited with {process.ExitCode}: {await output.ConfigureAwait(false)}{await error.ConfigureAwait(false)}");
        }
    }

    private static string Bin()
        => Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } configured
            ? configured
            : Directory.GetDirectories("/usr/lib/postgresql")
                .Where(d => File.Exists(Path.Combine(d, "bin", "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin"))
                .First();
}
