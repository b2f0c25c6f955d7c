using System.Diagnostics;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.SQS;

namespace Hangfire.ElasticSqs.Testing;

/// <summary>
/// A real SQS server for tests: moto on a free loopback port, started and stopped by the test that needs it. It is
/// started through eng/moto-server.py, which closes a race in moto's DeleteMessage that drops messages sent meanwhile
/// (SQS never does; a lost message would read as a lost job). It can be stopped and restarted on the same port to
/// simulate an SQS outage (its queues are lost on restart, so callers re-create them).
/// </summary>
public sealed class MotoServer : IAsyncDisposable
{
    private Process? _process;

    private MotoServer(int port) => Port = port;

    public int Port { get; }

    private static string Script => Path.Combine(AppContext.BaseDirectory, "moto-server.py");

    public Uri ServiceUrl => new($"http://127.0.0.1:{Port}");

    public bool IsRunning => _process is { HasExited: false };

    public static async Task<MotoServer> StartAsync()
    {
        var server = new MotoServer(FreePort.Next());
        await server.RestartAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Starts the server process (again) on the same port.</summary>
    public async Task RestartAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var start = new ProcessStartInfo("python3", $"\"{Script}\" -H 127.0.0.1 -p {Port}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("python3 (moto server) did not start");
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (!await CanConnectAsync().ConfigureAwait(false))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"moto server exited with code {_process.ExitCode}; is moto installed (pip install 'moto[server]')?");
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"moto server did not listen on port {Port} within 60 s");
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>Kills the server process: every call to it fails until <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
        _process = null;
    }

    /// <summary>An SQS client for this server with dummy credentials and fast failure on outages.</summary>
    public AmazonSQSClient CreateClient()
        => new(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig
        {
            ServiceURL = ServiceUrl.ToString(),
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 1,
            Timeout = TimeSpan.FromSeconds(10),
        });

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task<bool> CanConnectAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
