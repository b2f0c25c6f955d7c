using System.Diagnostics;
using Hangfire.ElasticSqs.Testing;

namespace Hangfire.ElasticSqs.Reliability.Tests.Support;

/// <summary>
/// A worker as a separate OS process (<c>dotnet &lt;this assembly&gt; worker</c>), so that it can be SIGKILLed or
/// stopped with SIGTERM like an Elastic Beanstalk instance. Its console log goes to a file kept for diagnosis.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private WorkerProcess(Process process, StreamWriter log, WorkerSettings settings, string logPath)
    {
        _process = process;
        _log = log;
        Settings = settings;
        LogPath = logPath;
    }

    public WorkerSettings Settings { get; }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public Uri Url => new(Settings.Url);

    public static async Task<WorkerProcess> StartAsync(WorkerSettings settings)
    {
        var assembly = typeof(WorkerProcess).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add("worker");
        start.Environment[ReliabilityWorkerApp.SettingsVariable] = ReliabilityWorkerApp.Serialize(settings);
        start.Environment["DOTNET_gcServer"] = "0";
        var logPath = Path.Combine(Path.GetTempPath(), $"reliability-worker-{Guid.NewGuid().ToString("N")[..8]}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("the worker process did not start");
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var worker = new WorkerProcess(process, log, settings, logPath);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.Until(
            async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"the worker process exited with {process.ExitCode}; log: {await File.ReadAllTextAsync(logPath).ConfigureAwait(false)}");
                }

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
            ok => ok,
            "the worker process to listen",
            TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        return worker;
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
