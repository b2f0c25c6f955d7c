using Hangfire.ElasticSqs.Messages;
using Hangfire.States;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Pipeline;

/// <summary>
/// Brings a job created by another inner storage (web and worker each on their own in-memory store) into this one,
/// from the verified message payload, keeping its retry count. Each (store, job id) is imported once; redeliveries
/// find the local copy, so duplicates are recognised exactly as for local jobs.
/// </summary>
internal sealed class JobImporter
{
    private readonly ElasticSqsStorage _storage;

    public JobImporter(ElasticSqsStorage storage) => _storage = storage;

    public string ImportOrFind(JobEnvelope envelope, int retry)
    {
        var key = Storage.StorageKeys.Import(envelope.Store, envelope.JobId);
        using var connection = _storage.InnerStorage.GetConnection();
        if (Find(connection, key) is { } existing)
        {
            return existing;
        }

        using (connection.AcquireDistributedLock(key, TimeSpan.FromSeconds(10)))
        {
            if (Find(connection, key) is { } raced)
            {
                return raced;
            }

            // The payload is signed and verified by now; only then are its type names resolved.
            var job = InvocationData.DeserializePayload(envelope.JobPayload).DeserializeJob();
            var parameters = new Dictionary<string, string>
            {
                ["RetryCount"] = retry.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["ElasticSqsOrigin"] = envelope.Store + ":" + envelope.JobId,
            };
            var localId = connection.CreateExpiredJob(job, parameters, envelope.CreatedAt, TimeSpan.FromDays(30));
            using var transaction = connection.CreateWriteTransaction();
            transaction.SetJobState(localId, new EnqueuedState(envelope.Queue)
            {
                Reason = $"Imported from an SQS message (job {envelope.JobId} of store {envelope.Store})",
            });
            transaction.PersistJob(localId);
            transaction.SetRangeInHash(key, [new KeyValuePair<string, string>("id", localId)]);
            if (transaction is JobStorageTransaction extended && _storage.InnerStorage.HasFeature(JobStorageFeatures.ExtendedApi))
            {
                extended.ExpireHash(key, TimeSpan.FromDays(14)); // Longer than SQS keeps any message.
            }

            transaction.Commit();
            return localId;
        }
    }

    private static string? Find(IStorageConnection connection, string key)
        => connection.GetAllEntriesFromHash(key) is { } hash && hash.TryGetValue("id", out var id) ? id : null;
}
