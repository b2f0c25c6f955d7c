using Amazon.SQS;
using Cronos;
using Hangfire.ElasticSqs.Scheduling.CronYaml;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>
/// The leader half of sqsd's periodic tasks: at each fire time of a <c>cron.yaml</c> task it sends the
/// task's message to the worker queue, from where the ordinary delivery path POSTs it. There is no leader
/// election because there is only one local daemon.
/// </summary>
internal sealed class PeriodicTaskScheduler : IDisposable
{
    // sqsd's message_resend_grace_period: a fire time missed by more than this (the machine slept) is skipped.
    private static readonly TimeSpan ResendGracePeriod = TimeSpan.FromSeconds(300);

    // Cron resolution is one minute; checking every second keeps a task within a second of its fire time.
    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);

    private readonly IAmazonSQS _sqs;
    private readonly string _queueUrl;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<ScheduledTask> _tasks;
    private PeriodicTimer? _timer;
    private Task _loop = Task.CompletedTask;

    public PeriodicTaskScheduler(IAmazonSQS sqs, string queueUrl, IEnumerable<CronYamlTask> tasks, TimeProvider time, ILogger logger)
    {
        _sqs = sqs;
        _queueUrl = queueUrl;
        _time = time;
        _logger = logger;
        _tasks = tasks.Select(task => new ScheduledTask(task, ParseSchedule(task))).ToList();
    }

    public int TaskCount => _tasks.Count;

    /// <summary>
    /// Starts the clock. The timer exists when this returns and fire times are counted from now, so a fake
    /// clock advanced afterwards fires whatever falls in between.
    /// </summary>
    public void Start()
    {
        var now = _time.GetUtcNow();
        foreach (var task in _tasks)
        {
            task.Next = NextAfter(task, now);
        }

        _timer = new PeriodicTimer(TickInterval, _time);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Stops the clock (a send under way completes) and waits for the loop to end.</summary>
    public async Task StopAsync()
    {
        Dispose();
        await _loop.ConfigureAwait(false);
    }

    /// <summary>Stops the clock without waiting.</summary>
    public void Dispose() => _timer?.Dispose();

    /// <summary>Sends the message through which sqsd runs <paramref name="task"/> for <paramref name="scheduledTime"/>.</summary>
    internal async Task FirePeriodicTaskAsync(CronYamlTask task, DateTimeOffset scheduledTime)
    {
        try
        {
            await _sqs.SendMessageAsync(PeriodicTaskMessage.CreateSendRequest(_queueUrl, task.Name, task.Url, scheduledTime)).ConfigureAwait(false);
            _logger.PeriodicTaskQueued(task.Name, scheduledTime);
        }
#pragma warning disable CA1031 // A failed send loses one run, as when sqsd's leader fails to send; the clock keeps going.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _logger.PeriodicTaskFailed(exception, task.Name, scheduledTime);
        }
    }

    private async Task RunAsync()
    {
        while (await _timer!.WaitForNextTickAsync().ConfigureAwait(false))
        {
            var now = _time.GetUtcNow();
            foreach (var task in _tasks)
            {
                while (task.Next is { } due && due <= now)
                {
                    if (now - due <= ResendGracePeriod)
                    {
                        await FirePeriodicTaskAsync(task.Definition, due).ConfigureAwait(false);
                    }

                    task.Next = NextAfter(task, due);
                }
            }
        }
    }

    private static DateTimeOffset? NextAfter(ScheduledTask task, DateTimeOffset time)
        => task.Expression.GetNextOccurrence(time.UtcDateTime) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;

    private CronExpression ParseSchedule(CronYamlTask task)
    {
        var schedule = task.Schedule.Trim();
        var fields = schedule.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

        // sqsd's cron parser accepts a sixth field and silently ignores it: "*/30 * * * * *" runs every 30 minutes.
        if (fields.Length == 6)
        {
            schedule = string.Join(' ', fields.Take(5));
            _logger.SixthFieldIgnored(task.Name, task.Schedule, schedule);
        }

        try
        {
            return CronExpression.Parse(schedule, CronFormat.Standard);
        }
        catch (CronFormatException exception)
        {
            throw new FormatException($"cron.yaml task '{task.Name}' has an invalid schedule '{task.Schedule}': {exception.Message}", exception);
        }
    }

    private sealed class ScheduledTask(CronYamlTask definition, CronExpression expression)
    {
        public CronYamlTask Definition { get; } = definition;

        public CronExpression Expression { get; } = expression;

        public DateTimeOffset? Next { get; set; }
    }
}
