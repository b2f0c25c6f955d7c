using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Hangfire.ElasticSqs.Topology.Tests;

/// <summary>
/// The sample app as an OS process of its own (<c>dotnet Hangfire.ElasticSqs.Sample.dll --key=value ...</c>), the way an
/// Elastic Beanstalk instance runs it: configuration from the command line and environment variables only, output kept
/// for diagnostics, killed on dispose.
/// </summary>
public sealed class SampleProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private bool _disposed;

    private SampleProcess(string name, Process process, Uri url)
    {
        Name = name;
        _process = process;
        Url = url;
    }

    public string Name { get; }

    public Uri Url { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The sample's own build output (the test project builds it first; it is never loaded into the test host).</summary>
    public static string OutputDirectory { get; } = typeof(SampleProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "SampleOutputDir").Value!;

    public static string SampleDll => Path.Combine(OutputDirectory, "Hangfire.ElasticSqs.Sample.dll");

    /// <summary>Runs the sample's command line to completion (e.g. <c>elasticsqs cron-yaml --output ...</c>).</summary>
    public static async Task<(int ExitCode, string Output)> RunToEndAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        using var process = new Process { StartInfo = StartInfo(args, environment) };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    /// <summary>Starts the sample listening on <paramref name="url"/> and waits until it answers HTTP.</summary>
    public static async Task<SampleProcess> StartAsync(string name, Uri url, IReadOnlyDictionary<string, string> settings, IReadOnlyDictionary<string, string> environment)
    {
        if (!File.Exists(SampleDll))
        {
            throw new FileNotFoundException($"The sample is not built at {SampleDll}; build the solution first.", SampleDll);
        }

        var args = settings.Select(s => $"--{s.Key}={s.Value}").Append($"--urls={url}");
        var process = new Process { StartInfo = StartInfo(args, environment), EnableRaisingEvents = true };
        var sample = new SampleProcess(name, process, url);
        // A test host killed by a hang timeout must not leave the app running.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => sample.Kill();
        process.OutputDataReceived += (_, e) => sample.Collect(e.Data);
        process.ErrorDataReceived += (_, e) => sample.Collect(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await sample.WaitUntilListeningAsync();
            return sample;
        }
        catch
        {
            await sample.DisposeAsync();
            throw;
        }
    }

    /// <summary>Everything the process wrote so far (stdout and stderr, interleaved as received).</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>The last lines of output, for failure messages.</summary>
    public string Tail(int lines = 60) => string.Join(Environment.NewLine, _output.TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        Kill();
        try
        {
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _disposed = true;
        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_disposed && !_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }
    }

    private static ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = OutputDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(SampleDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // A clean environment for the app's own settings: nothing inherited from the test host's ASP.NET/Hangfire variables.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("Hangfire__", StringComparison.Ordinal) || k.StartsWith("AWS_", StringComparison.Ordinal) || k == "HANGFIRE_ELASTICSQS_WORKER").ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return start;
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 5000 && _output.TryDequeue(out _))
        {
        }
    }

    private async Task WaitUntilListeningAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The {Name} process exited with code {_process.ExitCode} before listening on {Url}:{Environment.NewLine}{Tail()}");
            }

            try
            {
                using var response = await http.GetAsync(Url);
                return; // Any HTTP answer (the worker role answers 404 on GET /) means Kestrel is up.
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"The {Name} process did not listen on {Url} within 60 s:{Environment.NewLine}{Tail()}");
            }

            await Task.Delay(100);
        }
    }
}
