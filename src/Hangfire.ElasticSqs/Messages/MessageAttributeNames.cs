namespace Hangfire.ElasticSqs.Messages;

/// <summary>
/// Names of the SQS message attributes a job message carries. Lower-case letters, digits and '-' only: sqsd
/// turns each into an <c>X-Aws-Sqsd-Attr-*</c> header, title-cased, and nginx drops header names with '_' or '.'.
/// </summary>
internal static class MessageAttributeNames
{
    public const string Prefix = "hangfire-";
    public const string JobId = "hangfire-job-id";
    public const string Retry = "hangfire-retry";
    public const string Due = "hangfire-due";
    public const string Signature = "hangfire-signature";

    /// <summary>
    /// The W3C trace context of the enqueue. Not signed: it changes nothing about what runs or when, and it is only
    /// read after the message's signature verified and only used when it parses as a traceparent; a message copied
    /// with another traceparent (SQS messages cannot be altered in place) only lands in another trace.
    /// </summary>
    public const string TraceParent = "hangfire-traceparent";

    /// <summary>Signed attributes, in the canonical (ordinal) order the signature covers.</summary>
    public static readonly string[] Signed = [Due, JobId, Retry];
}
