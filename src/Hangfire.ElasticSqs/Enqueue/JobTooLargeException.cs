namespace Hangfire.ElasticSqs;

/// <summary>A job's message would exceed its SQS queue's maximum message size; it was refused at enqueue.</summary>
public sealed class JobTooLargeException : ElasticSqsException
{
    /// <summary>Creates the exception.</summary>
    public JobTooLargeException(string jobMethod, int size, int limit, string queueName)
        : base($"Job {jobMethod} is too large for SQS: its message is {size:N0} bytes and queue '{queueName}' accepts at most {limit:N0} bytes. " +
               "Pass an identifier (a database key, an S3 object key) instead of the data itself.")
    {
        JobMethod = jobMethod;
        Size = size;
        Limit = limit;
    }

    /// <summary>Creates the exception.</summary>
    public JobTooLargeException() => JobMethod = string.Empty;

    /// <summary>Creates the exception.</summary>
    public JobTooLargeException(string message)
        : base(message) => JobMethod = string.Empty;

    /// <summary>Creates the exception.</summary>
    public JobTooLargeException(string message, Exception innerException)
        : base(message, innerException) => JobMethod = string.Empty;

    /// <summary>The job's type and method, as <c>Type.Method</c>.</summary>
    public string JobMethod { get; }

    /// <summary>The message size in bytes (body plus attributes, as SQS counts it).</summary>
    public int Size { get; }

    /// <summary>The queue's limit in bytes.</summary>
    public int Limit { get; }
}
