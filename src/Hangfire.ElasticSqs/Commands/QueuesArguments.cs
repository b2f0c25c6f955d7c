using System.Globalization;

namespace Hangfire.ElasticSqs.Commands;

/// <summary>The options of <c>elasticsqs queues</c>.</summary>
internal sealed class QueuesArguments
{
    public List<string> Queues { get; } = [];

    public bool Yes { get; private set; }

    public bool DeadLetters { get; private set; }

    public string? Host { get; private set; }

    public int? VisibilityTimeout { get; private set; }

    public int? MaxReceiveCount { get; private set; }

    public int Limit { get; private set; } = 100;

    public static bool TryParse(IReadOnlyList<string> args, out QueuesArguments parsed, out string problem)
    {
        parsed = new QueuesArguments();
        problem = string.Empty;
        for (var i = 0; i < args.Count; i++)
        {
            var hasValue = i + 1 < args.Count;
            switch (args[i])
            {
                case "--queue" or "-q" when hasValue:
                    parsed.Queues.Add(args[++i]);
                    break;
                case "--yes" or "-y":
                    parsed.Yes = true;
                    break;
                case "--dead-letters":
                    parsed.DeadLetters = true;
                    break;
                case "--host" when hasValue && args[i + 1] is "sqsd" or "poll" or "lambda":
                    parsed.Host = args[++i];
                    break;
                case "--visibility-timeout" when hasValue && TryNumber(args[i + 1], 0, 43_200, out var seconds):
                    parsed.VisibilityTimeout = seconds;
                    i++;
                    break;
                case "--max-receive-count" when hasValue && TryNumber(args[i + 1], 1, 1000, out var count):
                    parsed.MaxReceiveCount = count;
                    i++;
                    break;
                case "--limit" when hasValue && TryNumber(args[i + 1], 1, 10_000, out var limit):
                    parsed.Limit = limit;
                    i++;
                    break;
                default:
                    problem = $"Unknown, incomplete or out-of-range option '{args[i]}'{(hasValue ? $" '{args[i + 1]}'" : string.Empty)} (--host takes sqsd, poll or lambda; --visibility-timeout 0 to 43200 seconds; --max-receive-count 1 to 1000; --limit 1 to 10000).";
                    return false;
            }
        }

        return true;
    }

    private static bool TryNumber(string text, int min, int max, out int value)
        => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
}
