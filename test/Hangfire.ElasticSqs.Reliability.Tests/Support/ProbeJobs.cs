using System.Globalization;

namespace Hangfire.ElasticSqs.Reliability.Tests.Support;

/// <summary>
/// The jobs the scenarios run. Each execution is recorded by the job itself in a file per job key (one line when it
/// starts, one when it ends, with the process id and UTC ticks), independent of the inner storage and of SQS, so
/// the tests count real executions and see overlaps — across processes, and through storage outages.
/// </summary>
public static class ProbeJobs
{
    public static void Run(string directory, string key, int milliseconds)
    {
        var file = Path.Combine(directory, key);
        Append(file, "start");
        if (milliseconds > 0)
        {
            Thread.Sleep(milliseconds);
        }

        Append(file, "end");
    }

    /// <summary>As <see cref="Run"/>, but stops when Hangfire cancels the job (shutdown): a start without an end.</summary>
    public static async Task RunCancellable(string directory, string key, int milliseconds, CancellationToken cancellationToken)
    {
        var file = Path.Combine(directory, key);
        Append(file, "start");
        await Task.Delay(milliseconds, cancellationToken).ConfigureAwait(false);
        Append(file, "end");
    }

    private static void Append(string file, string what)
        => File.AppendAllText(file, string.Create(CultureInfo.InvariantCulture, $"{what} {Environment.ProcessId} {DateTime.UtcNow.Ticks}\n"));
}

/// <summary>One execution of a probe job as its record file tells it.</summary>
public sealed record Execution(int ProcessId, DateTime Started, DateTime? Ended);

/// <summary>Reads the probe jobs' record files.</summary>
public sealed class ExecutionLog
{
    public ExecutionLog(string directory) => Directory = directory;

    public string Directory { get; }

    public static ExecutionLog Create()
    {
        var directory = Path.Combine(Path.GetTempPath(), "reliability-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(directory);
        return new ExecutionLog(directory);
    }

    /// <summary>The executions of one job, in start order. A start without an end is a run that was cut short (or still runs).</summary>
    public IReadOnlyList<Execution> Of(string key)
    {
        var file = Path.Combine(Directory, key);
        if (!File.Exists(file))
        {
            return [];
        }

        var open = new Dictionary<int, Stack<Execution>>();
        var runs = new List<Execution>();
        foreach (var line in File.ReadAllLines(file))
        {
            var parts = line.Split(' ');
            if (parts.Length != 3)
            {
                continue;
            }

            var pid = int.Parse(parts[1], CultureInfo.InvariantCulture);
            var at = new DateTime(long.Parse(parts[2], CultureInfo.InvariantCulture), DateTimeKind.Utc);
            if (parts[0] == "start")
            {
                var run = new Execution(pid, at, null);
                runs.Add(run);
                if (!open.TryGetValue(pid, out var stack))
                {
                    open[pid] = stack = new Stack<Execution>();
                }

                stack.Push(run);
            }
            else if (open.TryGetValue(pid, out var stack) && stack.Count > 0)
            {
                var started = stack.Pop();
                runs[runs.IndexOf(started)] = started with { Ended = at };
            }
        }

        return runs;
    }

    public int Starts(string key) => Of(key).Count;

    public int Ends(string key) => Of(key).Count(r => r.Ended is not null);

    /// <summary>Whether two executions of the job overlapped in time (an unfinished one counts as running until now).</summary>
    public bool Overlapped(string key)
    {
        var runs = Of(key).OrderBy(r => r.Started).ToList();
        for (var i = 1; i < runs.Count; i++)
        {
            if (runs[i].Started < (runs[i - 1].Ended ?? DateTime.MaxValue) && runs[i - 1].Ended is not null)
            {
                return true;
            }
        }

        return false;
    }

    public void Delete()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
