namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// Thrown by <see cref="CronYamlGenerator"/> when one or more recurring jobs cannot become exact sqsd periodic
/// tasks. Lists every problem at once, each naming the job, its schedule and the reason.
/// </summary>
public sealed class CronYamlGenerationException : ElasticSqsException
{
    /// <summary>Creates the exception from its problems.</summary>
    /// <param name="problems">One sentence per problem.</param>
    public CronYamlGenerationException(IReadOnlyList<string> problems)
        : base(Describe(problems))
    {
        Problems = problems;
    }

    /// <summary>Creates the exception with a message and no listed problems.</summary>
    public CronYamlGenerationException()
        : this([])
    {
    }

    /// <summary>Creates the exception with a single problem.</summary>
    /// <param name="message">The problem.</param>
    public CronYamlGenerationException(string message)
        : this([message])
    {
    }

    /// <summary>Creates the exception with a single problem and its cause.</summary>
    /// <param name="message">The problem.</param>
    /// <param name="innerException">The cause.</param>
    public CronYamlGenerationException(string message, Exception innerException)
        : base(Describe([message]), innerException)
    {
        Problems = [message];
    }

    /// <summary>Every problem found, one sentence each, ordered by recurring job id.</summary>
    public IReadOnlyList<string> Problems { get; } = [];

    private static string Describe(IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        return $"cron.yaml cannot be generated ({problems.Count} problem{(problems.Count == 1 ? string.Empty : "s")}):"
            + string.Concat(problems.Select(problem => "\n - " + problem));
    }
}
