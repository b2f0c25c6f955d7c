using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Hangfire.ElasticSqs.Sample.Demo;

/// <summary>
/// A local SQS server for the demo: moto on a free loopback port, started through eng/moto-server.py, which closes a
/// race in moto's DeleteMessage that drops messages sent meanwhile. Killed on dispose and,
/// as a last resort, when the process exits, so Ctrl+C never leaves it behind.
/// </summary>
public sealed class MotoProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly EventHandler _onExit;

    private MotoProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        _onExit = (_, _) => Kill();
        AppDomain.CurrentDomain.ProcessExit += _onExit;
    }

    public int Port { get; }

    public Uri ServiceUrl => new($"http://127.0.0.1:{Port}");

    public static async Task<MotoProcess> StartAsync(CancellationToken cancellationToken)
    {
        var port = FreePort.Next();
        var script = Path.Combine(AppContext.BaseDirectory, "moto-server.py");
        var start = new ProcessStartInfo("python3", $"\"{script}\" -H 127.0.0.1 -p {port}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException("python3 was not found; install Python 3 and `pip install 'moto[server]'`.", exception);
        }

        // moto logs every request; drain the pipes so it never blocks on a full buffer.
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var moto = new MotoProcess(process, port);
        try
        {
            var deadline = Stopwatch.StartNew();
            while (!await CanConnectAsync(port, cancellationToken))
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"moto exited with code {process.ExitCode}; is it installed? `pip install 'moto[server]'`");
                }

                if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException($"moto did not listen on port {port} within 60 s");
                }

                await Task.Delay(50, cancellationToken);
            }

            return moto;
        }
        catch
        {
            await moto.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static async Task<bool> CanConnectAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>Finds a loopback TCP port nothing listens on right now.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
