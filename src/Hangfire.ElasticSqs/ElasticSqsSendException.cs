namespace Hangfire.ElasticSqs;

/// <summary>A job's SQS message could not be sent (SQS unreachable, access denied, or a corrupted reply).</summary>
public sealed class ElasticSqsSendException : ElasticSqsException
{
    /// <summary>Creates the exception.</summary>
    public ElasticSqsSendException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public ElasticSqsSendException()
        : this("A job message could not be sent to SQS.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public ElasticSqsSendException(string message)
        : this(message, null)
    {
    }
}
