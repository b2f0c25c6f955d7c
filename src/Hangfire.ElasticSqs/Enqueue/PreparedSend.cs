using Hangfire.ElasticSqs.Messages;

namespace Hangfire.ElasticSqs.Enqueue;

/// <summary>
/// A pending send checked before the inner commit (queue known, size within the limit) and signed, ready to go.
/// <see cref="Queue"/> is null when SQS could not be asked which URL the queue has (an outage); the send then
/// resolves it again, or stays in the outbox.
/// </summary>
internal sealed record PreparedSend(PendingSend Pending, JobMessage Message, SqsQueue? Queue);
