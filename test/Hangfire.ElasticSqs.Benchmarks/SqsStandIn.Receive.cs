using System.Globalization;
using System.Text.Json;
using Amazon.SQS.Model;
using Hangfire.ElasticSqs.Messages;

namespace Hangfire.ElasticSqs.Benchmarks;

/// <summary>The receive side of the stand-in: <c>ReceiveMessage</c>, deletes and visibility changes.</summary>
internal sealed partial class SqsStandIn
{
    private readonly object _inFlightLock = new();
    private long _received;
    private int _receivesInFlight;
    private int _peakReceivesInFlight;
    private long _inFlightSince = System.Diagnostics.Stopwatch.GetTimestamp();
    private double _inFlightTicks;

    /// <summary>Messages handed out by <c>ReceiveMessage</c> so far (receives of the same message count again).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>
    /// Receive calls in flight integrated over time (Stopwatch ticks × calls) up to now: the difference between two
    /// readings divided by the ticks between them is the mean number of receives in flight over that window.
    /// </summary>
    public double ReceiveInFlightTicks()
    {
        lock (_inFlightLock)
        {
            Accumulate();
            return _inFlightTicks;
        }
    }

    /// <summary>The most receive calls in flight at once since the last reset.</summary>
    public int PeakReceivesInFlight => Volatile.Read(ref _peakReceivesInFlight);

    public void ResetPeakReceivesInFlight()
    {
        lock (_inFlightLock)
        {
            _peakReceivesInFlight = _receivesInFlight;
        }
    }

    /// <summary>Self-check seam: received bodies get a wrong MD5, which the SDK must refuse.</summary>
    internal bool CorruptReceivedDigests { get; set; }

    private void ReceiveStarted()
    {
        lock (_inFlightLock)
        {
            Accumulate();
            _receivesInFlight++;
            _peakReceivesInFlight = Math.Max(_peakReceivesInFlight, _receivesInFlight);
        }
    }

    private void ReceiveEnded()
    {
        lock (_inFlightLock)
        {
            Accumulate();
            _receivesInFlight--;
        }
    }

    // Under the in-flight lock.
    private void Accumulate()
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        _inFlightTicks += (double)(now - _inFlightSince) * _receivesInFlight;
        _inFlightSince = now;
    }

    private async Task<object> ReceiveAsync(JsonElement request, CancellationToken aborted)
    {
        var queue = QueueOf(request);
        var max = Int(request, "MaxNumberOfMessages", 1);
        var wait = Int(request, "WaitTimeSeconds", queue.ReceiveWaitTimeSeconds);
        if (max is < 1 or > 10 || wait is < 0 or > 20)
        {
            return new SqsError("InvalidParameterValue", "MaxNumberOfMessages must be 1 to 10 and WaitTimeSeconds 0 to 20.");
        }

        var visibility = Int(request, "VisibilityTimeout", queue.VisibilityTimeoutSeconds);
        var messages = await queue.ReceiveAsync(max, visibility, TimeSpan.FromSeconds(wait), aborted);
        Interlocked.Add(ref _received, messages.Count);

        // Both spellings: MessageSystemAttributeNames (SDK 4) and the older AttributeNames.
        var systemNames = Strings(request, "MessageSystemAttributeNames").Concat(Strings(request, "AttributeNames")).ToHashSet(StringComparer.Ordinal);
        var attributeNames = Strings(request, "MessageAttributeNames");
        return new Dictionary<string, object> { ["Messages"] = messages.Select(m => Reply(m, systemNames, attributeNames, CorruptReceivedDigests)).ToList() };
    }

    private static Dictionary<string, object> Reply(StandInMessage message, HashSet<string> systemNames, List<string> attributeNames, bool corrupt)
    {
        var reply = new Dictionary<string, object>
        {
            ["MessageId"] = message.MessageId,
            ["ReceiptHandle"] = message.ReceiptHandle,
            ["MD5OfBody"] = corrupt ? new string('0', 32) : message.Md5OfBody,
            ["Body"] = message.Body,
        };
        var system = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ApproximateReceiveCount"] = message.ReceiveCount.ToString(CultureInfo.InvariantCulture),
            ["SentTimestamp"] = message.SentTimestamp.ToString(CultureInfo.InvariantCulture),
            ["ApproximateFirstReceiveTimestamp"] = message.FirstReceiveTimestamp.ToString(CultureInfo.InvariantCulture),
            ["SenderId"] = "000000000000",
        };
        var chosenSystem = systemNames.Contains("All") ? system : system.Where(a => systemNames.Contains(a.Key)).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        if (chosenSystem.Count > 0)
        {
            reply["Attributes"] = chosenSystem;
        }

        var attributes = message.Attributes.Where(a => Wanted(a.Key, attributeNames)).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        if (attributes.Count > 0)
        {
            // The digest covers exactly the attributes returned; the SDK checks it.
            reply["MD5OfMessageAttributes"] = SqsMd5.OfAttributes(attributes).ToLowerInvariant();
            reply["MessageAttributes"] = attributes.ToDictionary(
                a => a.Key,
                a => new Dictionary<string, string> { ["DataType"] = a.Value.DataType, ["StringValue"] = a.Value.StringValue ?? string.Empty },
                StringComparer.Ordinal);
        }

        return reply;
    }

    // SQS's filter: "All" or ".*" for every attribute, "prefix.*" for a prefix, otherwise exact names.
    private static bool Wanted(string name, List<string> requested)
        => requested.Exists(r => r is "All" or ".*"
            || (r.EndsWith(".*", StringComparison.Ordinal) && name.StartsWith(r[..^1], StringComparison.Ordinal))
            || string.Equals(r, name, StringComparison.Ordinal));

    private static object Single(ReceiptOutcome outcome) => outcome == ReceiptOutcome.Done
        ? new Dictionary<string, object>()
        : new SqsError(outcome.ToString(), $"The receipt handle is not valid for this call ({outcome}).");

    /// <summary>DeleteMessageBatch and ChangeMessageVisibilityBatch: each entry succeeds or fails on its own.</summary>
    private object Batch(JsonElement request, Func<StandInQueue, JsonElement, ReceiptOutcome> apply)
    {
        var queue = QueueOf(request);
        var entries = request.GetProperty("Entries").EnumerateArray().ToList();
        if (entries.Count is < 1 or > 10)
        {
            return new SqsError(entries.Count == 0 ? "EmptyBatchRequest" : "TooManyEntriesInBatchRequest", "A batch carries 1 to 10 entries.");
        }

        var successful = new List<object>();
        var failed = new List<object>();
        foreach (var entry in entries)
        {
            var id = Text(entry, "Id");
            var outcome = apply(queue, entry);
            if (outcome == ReceiptOutcome.Done)
            {
                successful.Add(new Dictionary<string, string> { ["Id"] = id });
            }
            else
            {
                failed.Add(new Dictionary<string, object> { ["Id"] = id, ["Code"] = outcome.ToString(), ["SenderFault"] = true, ["Message"] = "The receipt handle is not valid for this call." });
            }
        }

        return new Dictionary<string, object> { ["Successful"] = successful, ["Failed"] = failed };
    }
}
