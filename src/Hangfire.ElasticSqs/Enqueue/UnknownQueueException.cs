namespace Hangfire.ElasticSqs;

/// <summary>A Hangfire queue has no SQS queue: neither mapped, nor covered by the prefix convention, nor existing.</summary>
public sealed class UnknownQueueException : ElasticSqsException
{
    /// <summary>Creates the exception.</summary>
    public UnknownQueueException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public UnknownQueueException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public UnknownQueueException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
