using System.Globalization;
using Amazon.SQS;
using Amazon.SQS.Model;
using Microsoft.Extensions.Logging;

namespace Hangfire.ElasticSqs.LocalSqsd;

/// <summary>
/// Delivers one received message the way sqsd does: drop it if it outlived the retention period, POST it,
/// delete it only on exactly <c>200</c>, otherwise make it visible again after the error visibility timeout.
/// </summary>
internal sealed class MessageDelivery(
    LocalSqsdOptions options,
    string queueUrl,
    IAmazonSQS sqs,
    HttpClient http,
    SqsdRequestFactory requests,
    BatchDeleter deleter,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>
    /// Delivers <paramref name="message"/> while holding one of the <paramref name="connections"/> slots,
    /// which is released as soon as the HTTP exchange is over. Never throws.
    /// </summary>
    public async Task DeliverAsync(Message message, SemaphoreSlim connections, CancellationToken abort)
    {
        bool delivered;
        try
        {
            if (IsExpired(message))
            {
                deleter.Add(message.ReceiptHandle);
                return;
            }

            delivered = await PostAsync(message, abort).ConfigureAwait(false);
        }
        finally
        {
            connections.Release();
        }

        if (delivered)
        {
            deleter.Add(message.ReceiptHandle);
        }
        else
        {
            await MakeVisibleAfterErrorTimeoutAsync(message).ConfigureAwait(false);
        }
    }

    private bool IsExpired(Message message)
    {
        var firstReceived = SqsdRequestFactory.SystemAttribute(message, MessageSystemAttributeName.ApproximateFirstReceiveTimestamp);
        if (!long.TryParse(firstReceived, NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
        {
            return false;
        }

        var firstReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        if (firstReceivedAt.AddSeconds(options.RetentionPeriod) >= time.GetUtcNow())
        {
            return false;
        }

        logger.Expired(message.MessageId, firstReceivedAt, options.RetentionPeriod);
        return true;
    }

    /// <summary>True only when the application answered exactly 200.</summary>
    private async Task<bool> PostAsync(Message message, CancellationToken abort)
    {
        var periodicTask = PeriodicTaskMessage.TryRead(message);
        var receiveCount = SqsdRequestFactory.SystemAttribute(message, MessageSystemAttributeName.ApproximateReceiveCount);
        for (var attempt = 1; ; attempt++)
        {
            using var inactivity = new CancellationTokenSource(TimeSpan.FromSeconds(options.InactivityTimeout), time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(inactivity.Token, abort);
            try
            {
                using var request = requests.Create(message, periodicTask);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status == 200)
                {
                    logger.Sent(requests.UrlFor(periodicTask), message.MessageId);
                    return true;
                }

                logger.HttpError(message.MessageId, receiveCount, status);
                return false;
            }
            catch (HttpRequestException exception) when (attempt == 1 && exception.HttpRequestError == HttpRequestError.ResponseEnded)
            {
                // sqsd re-POSTs at once, without counting an error, when the server closes the connection
                // before answering (typically a keep-alive connection the server had just timed out).
                logger.RePosting(message.MessageId);
            }
#pragma warning disable CA1031 // Whatever fails (connect, TLS, a header .NET refuses), sqsd calls it a socket error.
            catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
            {
                logger.SocketError(message.MessageId, receiveCount, Describe(exception));
                return false;
            }
            catch (OperationCanceledException) when (inactivity.IsCancellationRequested)
            {
                logger.SocketError(message.MessageId, receiveCount, $"no response within the inactivity timeout of {options.InactivityTimeout} s");
                return false;
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                logger.SocketError(message.MessageId, receiveCount, "abandoned: the local sqsd is stopping");
                return false;
            }
        }
    }

    /// <summary>The innermost cause, which names the socket error; HttpClient's own message is generic.</summary>
    private static string Describe(Exception exception)
    {
        var cause = exception;
        while (cause.InnerException is not null)
        {
            cause = cause.InnerException;
        }

        var kind = exception is HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } http ? $"{http.HttpRequestError} - " : string.Empty;
        return $"{kind}{cause.GetType().Name}: {cause.Message}";
    }

    private async Task MakeVisibleAfterErrorTimeoutAsync(Message message)
    {
        try
        {
            await sqs.ChangeMessageVisibilityAsync(new ChangeMessageVisibilityRequest
            {
                QueueUrl = queueUrl,
                ReceiptHandle = message.ReceiptHandle,
                VisibilityTimeout = options.ErrorVisibilityTimeout,
            }).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The message then merely comes back after the receive VisibilityTimeout.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            logger.VisibilityChangeFailed(exception, message.MessageId);
        }
    }
}
