namespace Hangfire.ElasticSqs;

/// <summary>
/// The base of every exception Hangfire.ElasticSqs throws, so that one <c>catch (ElasticSqsException)</c> handles
/// all of them: a configuration problem, an unknown queue, a job too large for SQS, a failed send, or a recurring job
/// that <c>cron.yaml</c> cannot schedule.
/// </summary>
public abstract class ElasticSqsException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    protected ElasticSqsException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    protected ElasticSqsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">What went wrong and how to fix it.</param>
    /// <param name="innerException">The cause.</param>
    protected ElasticSqsException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
