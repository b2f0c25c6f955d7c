using System.Diagnostics;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Reliability.Tests.Support;

/// <summary>
/// A worker as a separate OS process (<c>dotnet &lt;this assembly&gt; worker</c>, or <c>poller</c> for poll mode), so
/// that it can be SIGKILLed or stopped with SIGTERM like an Elastic Beanstalk instance or a container. Its console log
/// goes to a file kept for diagnosis.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private readonly WorkerSettings? _settings;

    private WorkerProcess(Process process, StreamWriter log, WorkerSettings? settings, string logPath)
    {
        _process = process;
        _log = log;
        _settings = settings;
        LogPath = logPath;
    }

    /// <summary>The sqsd worker's settings; a poller has none (it listens on no port).</summary>
    public WorkerSettings Settings => _settings ?? throw new InvalidOperationException("a poller process has no worker settings");

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public Uri Url => new(Settings.Url);

    public static async Task<WorkerProcess> StartAsync(WorkerSettings settings)
    {
        var worker = Launch("worker", ReliabilityWorkerApp.SettingsVariable, ReliabilityWorkerApp.Serialize(settings), settings);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await worker.WaitUntilAsync(
            async () =>
            {
                try
                {
                    using var response = await http.GetAsync(new Uri(worker.Url, "/reliability/health")).ConfigureAwait(false);
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
                catch (TaskCanceledException)
                {
                    return false;
                }
            },
            "the worker process to listen").ConfigureAwait(false);
        return worker;
    }

    /// <summary>A poll-mode process; ready once its Hangfire server is registered in the shared PostgreSQL storage.</summary>
    public static async Task<WorkerProcess> StartPollerAsync(PollerSettings settings)
    {
        var poller = Launch("poller", ReliabilityPollerApp.SettingsVariable, ReliabilityPollerApp.Serialize(settings), null);
        var monitor = ReliabilityWorkerApp.PostgreSqlStorage(settings.PostgreSql).GetMonitoringApi();
        var prefix = settings.ServerName + ":";
        try
        {
            await poller.WaitUntilAsync(
                () => Task.FromResult(monitor.Servers().Any(s => s.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))),
                $"the poller process {settings.ServerName} to register its Hangfire server").ConfigureAwait(false);
        }
        catch
        {
            await poller.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return poller;
    }

    private static WorkerProcess Launch(string mode, string variable, string settings, WorkerSettings? workerSettings)
    {
        var assembly = typeof(WorkerProcess).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add(mode);
        start.Environment[variable] = settings;
        start.Environment["DOTNET_gcServer"] = "0";
        var logPath = Path.Combine(Path.GetTempPath(), $"reliability-{mode}-{Guid.NewGuid().ToString("N")[..8]}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"the {mode} process did not start");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new WorkerProcess(process, log, workerSettings, logPath);
    }

    private Task<bool> WaitUntilAsync(Func<Task<bool>> ready, string what)
        => Eventually.Until(
            async () =>
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"the process exited with {_process.ExitCode}; log: {await File.ReadAllTextAsync(LogPath).ConfigureAwait(false)}");
                }

                return await ready().ConfigureAwait(false);
            },
            ok => ok,
            what,
            TimeSpan.FromSeconds(60));

    /// <summary>The process's console log so far.</summary>
    public string ReadLog()
    {
        lock (_log)
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>SIGKILL: the process dies at once, mid-job, without any shutdown code running.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>SIGTERM: what Elastic Beanstalk (systemd) sends on a deployment or scale-in; the host shuts down gracefully.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException("kill -TERM failed with " + kill.ExitCode);
        }
    }

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public async Task<Dictionary<string, long>> StatsAsync()
    {
        using var http = new HttpClient();
        return (await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<Dictionary<string, long>>(http, new Uri(Url, "/reliability/stats")).ConfigureAwait(false))!;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
        await _log.DisposeAsync().ConfigureAwait(false);
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
