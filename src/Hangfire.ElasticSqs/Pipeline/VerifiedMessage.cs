using Hangfire.ElasticSqs.Messages;

namespace Hangfire.ElasticSqs.Pipeline;

/// <summary>
/// A job message whose signature verified, with its envelope, the signed retry count and due time, and the (unsigned,
/// validated) W3C trace context of its enqueue.
/// </summary>
internal readonly record struct VerifiedMessage(JobEnvelope Envelope, int Retry, DateTime? Due, string? TraceParent = null);
