using System.Diagnostics;
using Npgsql;

namespace Hangfire.ElasticSqs.Testing;

/// <summary>
/// A real PostgreSQL server for tests and benchmarks: Debian's <c>initdb</c>/<c>pg_ctl</c> run as the <c>postgres</c>
/// user (initdb refuses root) in a temporary directory, listening on a free loopback port, trust authentication,
/// stopped and deleted on dispose. Create a fresh database per test with <see cref="CreateDatabaseAsync"/>.
/// </summary>
/// <remarks>Set <c>PG_BIN</c> to another server's <c>bin</c> directory to use it; the default is the newest
/// <c>/usr/lib/postgresql/*/bin</c>.</remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string OsUser = "postgres";
    private readonly string _bin;
    private bool _stopped;

    private PostgresServer(string bin, string directory, int port)
    {
        _bin = bin;
        Directory = directory;
        Port = port;
    }

    /// <summary>The temporary directory holding the data directory, the socket and the log.</summary>
    public string Directory { get; }

    /// <summary>The loopback TCP port the server listens on.</summary>
    public int Port { get; }

    /// <summary>A connection string to the <c>postgres</c> maintenance database.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    /// <summary>Initialises a cluster in a new temporary directory and starts it on a free port.</summary>
    public static async Task<PostgresServer> StartAsync()
    {
        var bin = FindBin();
        var directory = Path.Combine(Path.GetTempPath(), "pg-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var server = new PostgresServer(bin, directory, FreePort.Next());
        try
        {
            if (Environment.UserName == "root")
            {
                await server.RunAsync("chown", $"-R {OsUser} {directory}", asPostgres: false).ConfigureAwait(false);
            }

            await server.RunAsync(Path.Combine(bin, "initdb"), $"-D {server.DataDirectory} -U postgres -A trust -E UTF8 --no-sync", asPostgres: true).ConfigureAwait(false);
            var options = $"-c listen_addresses=127.0.0.1 -p {server.Port} -k {directory} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
            await server.RunAsync(Path.Combine(bin, "pg_ctl"), $"-D {server.DataDirectory} -l {Path.Combine(directory, "log")} -w -t 60 -o \"{options}\" start", asPostgres: true).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A connection string to a database on this server.</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Pooling = true,
        MaxPoolSize = 100,
    }.ConnectionString;

    /// <summary>Creates a new, empty database (a fresh name unless one is given) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= "db_" + Guid.NewGuid().ToString("N")[..12];
        var admin = new NpgsqlConnection(AdminConnectionString);
        await using (admin.ConfigureAwait(false))
        {
            await admin.OpenAsync().ConfigureAwait(false);
            var command = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", admin);
            await using (command.ConfigureAwait(false))
            {
                await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }

        return ConnectionString(name);
    }

    /// <summary>Stops the server and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        NpgsqlConnection.ClearAllPools();
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await RunAsync(Path.Combine(_bin, "pg_ctl"), $"-D {DataDirectory} -m immediate -w stop", asPostgres: true).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private string DataDirectory => Path.Combine(Directory, "data");

    private static string FindBin()
    {
        if (Environment.GetEnvironmentVariable("PG_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }

        var root = "/usr/lib/postgresql";
        var candidates = System.IO.Directory.Exists(root)
            ? System.IO.Directory.GetDirectories(root)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(c => File.Exists(Path.Combine(c.Dir, "bin", "initdb")))
                .OrderByDescending(c => c.Version)
                .ToList()
            : [];
        return candidates.Count > 0
            ? Path.Combine(candidates[0].Dir, "bin")
            : throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); install Debian's postgresql package or set PG_BIN.");
    }

    private async Task RunAsync(string program, string arguments, bool asPostgres)
    {
        var root = Environment.UserName == "root";
        var start = asPostgres && root
            ? new ProcessStartInfo("runuser", $"-u {OsUser} -- {program} {arguments}")
            : new ProcessStartInfo(program, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.WorkingDirectory = Directory;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            var log = Path.Combine(Directory, "log");
            var tail = File.Exists(log) ? await File.ReadAllTextAsync(log).ConfigureAwait(false) : string.Empty;
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} {arguments} exited with {process.ExitCode}: {await output.ConfigureAwait(false)}{await error.ConfigureAwait(false)}{tail}");
        }
    }
}
