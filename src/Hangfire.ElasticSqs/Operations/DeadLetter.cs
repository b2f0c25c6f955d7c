namespace Hangfire.ElasticSqs.Operations;

/// <summary>
/// What is shown about a message on a dead-letter queue. Never the job's arguments: they may hold personal data or
/// secrets, and the Dashboard's job page already shows them to whoever may see them.
/// </summary>
/// <param name="MessageId">The SQS message id.</param>
/// <param name="JobId">The Hangfire job id; null when the message's signature does not verify.</param>
/// <param name="Method">The job's <c>Type.Method</c>; null when unknown.</param>
/// <param name="ReceiveCount">SQS's approximate receive count (listing the queue adds one).</param>
/// <param name="FirstReceivedAt">When SQS first handed the message out, UTC.</param>
/// <param name="SentAt">When the message was first sent, UTC.</param>
/// <param name="Reason">Why it is there, as far as it can be told.</param>
internal sealed record DeadLetter(string MessageId, string? JobId, string? Method, int ReceiveCount, DateTime? FirstReceivedAt, DateTime? SentAt, string Reason);
