namespace Hangfire.ElasticSqs;

/// <summary>The storage is configured wrongly: the message lists every problem and how to fix it.</summary>
public sealed class ElasticSqsConfigurationException : ElasticSqsException
{
    /// <summary>Creates the exception from the list of problems.</summary>
    public ElasticSqsConfigurationException(IReadOnlyList<string> problems)
        : base("Hangfire.ElasticSqs is not configured correctly:" + Environment.NewLine
               + string.Join(Environment.NewLine, problems.Select(p => " - " + p)))
    {
        Problems = problems;
    }

    /// <summary>Creates the exception with a single problem.</summary>
    public ElasticSqsConfigurationException(string message)
        : this([message])
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public ElasticSqsConfigurationException()
        : this("unknown configuration problem")
    {
    }

    /// <summary>Creates the exception.</summary>
    public ElasticSqsConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    /// <summary>Each problem found, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; } = [];
}
