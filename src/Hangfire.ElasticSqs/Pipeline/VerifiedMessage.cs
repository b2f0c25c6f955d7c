using Hangfire.ElasticSqs.Messages;

namespace Hangfire.ElasticSqs.Pipeline;

/// <summary>A job message whose signature verified, with its envelope and the signed retry count and due time.</summary>
internal readonly record struct VerifiedMessage(JobEnvelope Envelope, int Retry, DateTime? Due);
