namespace Hangfire.ElasticSqs.Sample.Demo;

/// <summary>The <c>demo</c> command line: <c>demo [--poll] [--keep-running] [--fire-periodic-now]</c>.</summary>
public static class DemoCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = new DemoOptions
        {
            KeepRunning = args.Contains("--keep-running"),
            FirePeriodicTasksNow = args.Contains("--fire-periodic-now"),
            Poll = args.Contains("--poll"),
            Output = Console.Out,
        };
        var unknown = args.Where(a => a is not "--keep-running" and not "--fire-periodic-now" and not "--poll").ToList();
        if (unknown.Count > 0)
        {
            await Console.Error.WriteLineAsync($"Unknown demo option(s): {string.Join(' ', unknown)}. Usage: demo [--poll] [--keep-running] [--fire-periodic-now]");
            return 2;
        }

        // Ctrl+C ends the demo through cancellation, so moto and the app are stopped by the finally blocks.
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            var result = await DemoRunner.RunAsync(options, stop.Token);
            return result.Succeeded ? 0 : 1;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("Demo cancelled.");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
