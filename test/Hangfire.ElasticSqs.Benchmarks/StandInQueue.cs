using Amazon.SQS.Model;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>A message held by the stand-in: what was sent, and what SQS reports about its receives.</summary>
internal sealed class StandInMessage(string body, string md5OfBody, Dictionary<string, MessageAttributeValue> attributes, long sentTimestamp)
{
    public string MessageId { get; } = Guid.NewGuid().ToString();

    public string Body { get; } = body;

    public string Md5OfBody { get; } = md5OfBody;

    public Dictionary<string, MessageAttributeValue> Attributes { get; } = attributes;

    /// <summary>Unix milliseconds, as SQS's <c>SentTimestamp</c>.</summary>
    public long SentTimestamp { get; } = sentTimestamp;

    public long FirstReceiveTimestamp { get; set; }

    public int ReceiveCount { get; set; }

    public StandInMessageState State { get; set; }

    /// <summary>Bumped whenever the message becomes invisible, so that a deadline it no longer has is skipped.</summary>
    public long Generation { get; set; }

    public string ReceiptHandle => MessageId + "#" + ReceiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

internal enum StandInMessageState
{
    Visible,
    InFlight,
    Delayed,
    Deleted,
}

/// <summary>The outcome of a call naming a receipt handle, in SQS's error codes.</summary>
internal enum ReceiptOutcome
{
    Done,
    ReceiptHandleIsInvalid,
    MessageNotInflight,
}

/// <summary>
/// One queue of the stand-in: visible messages in arrival order, received ones invisible until deleted or until
/// their visibility timeout passes, delayed ones invisible until due. Deadlines sit in a priority queue and are
/// applied lazily by whoever touches the queue next, so no timer runs per message.
/// </summary>
internal sealed class StandInQueue
{
    private readonly object _lock = new();
    private readonly Queue<StandInMessage> _visible = new();
    private readonly Dictionary<string, StandInMessage> _byId = new(StringComparer.Ordinal);
    private readonly PriorityQueue<(StandInMessage Message, long Generation), long> _deadlines = new();
    private TaskCompletionSource _changed = NewSignal();
    private int _visibleCount;
    private int _inFlightCount;
    private int _delayedCount;

    public int VisibilityTimeoutSeconds { get; set; } = 30;

    public int ReceiveWaitTimeSeconds { get; set; }

    public (int Visible, int InFlight, int Delayed) Counts()
    {
        lock (_lock)
        {
            ApplyDeadlines(Environment.TickCount64);
            return (_visibleCount, _inFlightCount, _delayedCount);
        }
    }

    public void Add(StandInMessage message, int delaySeconds)
    {
        lock (_lock)
        {
            _byId.Add(message.MessageId, message);
            if (delaySeconds > 0)
            {
                message.State = StandInMessageState.Delayed;
                _delayedCount++;
                _deadlines.Enqueue((message, message.Generation), Environment.TickCount64 + (delaySeconds * 1000L));
            }
            else
            {
                MakeVisible(message);
            }
        }
    }

    /// <summary>Up to <paramref name="max"/> messages, waiting up to <paramref name="wait"/> while the queue has none.</summary>
    public async Task<List<StandInMessage>> ReceiveAsync(int max, int visibilitySeconds, TimeSpan wait, CancellationToken aborted)
    {
        var until = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        while (true)
        {
            Task changed;
            long nextDeadline;
            lock (_lock)
            {
                var now = Environment.TickCount64;
                ApplyDeadlines(now);
                var taken = Take(max, visibilitySeconds, now);
                if (taken.Count > 0 || now >= until || aborted.IsCancellationRequested)
                {
                    return taken;
                }

                changed = _changed.Task;
                nextDeadline = _deadlines.TryPeek(out _, out var deadline) ? deadline : long.MaxValue;
            }

            // Wakes when a message becomes visible: sent, released, or its invisibility ending.
            var delay = Math.Max(1, Math.Min(until, nextDeadline) - Environment.TickCount64);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted);
            await Task.WhenAny(changed, Task.Delay(TimeSpan.FromMilliseconds(delay), stop.Token)).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    public ReceiptOutcome Delete(string receiptHandle)
    {
        if (!TryParse(receiptHandle, out var id, out var count))
        {
            return ReceiptOutcome.ReceiptHandleIsInvalid;
        }

        lock (_lock)
        {
            // As SQS: a deleted message or an older receipt of a message received again is accepted and does nothing.
            if (_byId.TryGetValue(id, out var message) && message.ReceiveCount == count)
            {
                Leave(message);
                message.State = StandInMessageState.Deleted;
                _byId.Remove(id);
            }

            return ReceiptOutcome.Done;
        }
    }

    public ReceiptOutcome ChangeVisibility(string receiptHandle, int seconds)
    {
        if (!TryParse(receiptHandle, out var id, out var count))
        {
            return ReceiptOutcome.ReceiptHandleIsInvalid;
        }

        lock (_lock)
        {
            ApplyDeadlines(Environment.TickCount64);
            if (!_byId.TryGetValue(id, out var message) || message.ReceiveCount != count || message.State != StandInMessageState.InFlight)
            {
                return ReceiptOutcome.MessageNotInflight;
            }

            message.Generation++;
            if (seconds > 0)
            {
                _deadlines.Enqueue((message, message.Generation), Environment.TickCount64 + (seconds * 1000L));
                return ReceiptOutcome.Done;
            }

            Leave(message);
            MakeVisible(message);
            return ReceiptOutcome.Done;
        }
    }

    private List<StandInMessage> Take(int max, int visibilitySeconds, long now)
    {
        var taken = new List<StandInMessage>(Math.Min(max, _visibleCount));
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        while (taken.Count < max && _visible.TryDequeue(out var message))
        {
            if (message.State != StandInMessageState.Visible)
            {
                continue; // deleted while visible (with the receipt of an expired receive)
            }

            _visibleCount--;
            _inFlightCount++;
            message.State = StandInMessageState.InFlight;
            message.ReceiveCount++;
            message.Generation++;
            if (message.FirstReceiveTimestamp == 0)
            {
                message.FirstReceiveTimestamp = timestamp;
            }

            _deadlines.Enqueue((message, message.Generation), now + (visibilitySeconds * 1000L));
            taken.Add(message);
        }

        return taken;
    }

    // Under the lock: makes visible every message whose invisibility has ended, and wakes the long polls.
    private void ApplyDeadlines(long now)
    {
        while (_deadlines.TryPeek(out var item, out var deadline) && deadline <= now)
        {
            _deadlines.Dequeue();
            var message = item.Message;
            if (message.Generation == item.Generation && message.State is StandInMessageState.InFlight or StandInMessageState.Delayed)
            {
                Leave(message);
                MakeVisible(message);
            }
        }
    }

    // Under the lock: takes the message out of the count of its current state.
    private void Leave(StandInMessage message)
    {
        switch (message.State)
        {
            case StandInMessageState.Visible:
                _visibleCount--;
                break;
            case StandInMessageState.InFlight:
                _inFlightCount--;
                break;
            case StandInMessageState.Delayed:
                _delayedCount--;
                break;
            default:
                break;
        }
    }

    // Under the lock (safe: the signal's continuations run asynchronously, never inside it).
    private void MakeVisible(StandInMessage message)
    {
        message.State = StandInMessageState.Visible;
        _visibleCount++;
        _visible.Enqueue(message);
        _changed.TrySetResult();
        _changed = NewSignal();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static bool TryParse(string receiptHandle, out string id, out int count)
    {
        var hash = receiptHandle.LastIndexOf('#');
        id = hash > 0 ? receiptHandle[..hash] : string.Empty;
        count = 0;
        return hash > 0 && int.TryParse(receiptHandle.AsSpan(hash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count);
    }
}
