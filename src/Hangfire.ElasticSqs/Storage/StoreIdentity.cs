namespace Hangfire.ElasticSqs.Storage;

/// <summary>
/// A stable id for an inner storage instance, kept in the storage itself. Two processes sharing one database see
/// the same id; two in-memory storages see different ones. A worker uses it to decide whether its inner storage is
/// the truth about a job or whether it must import the job from the message.
/// </summary>
internal static class StoreIdentity
{
    private const string Field = "id";

    public static string GetOrCreate(JobStorage inner)
    {
        using var connection = inner.GetConnection();
        if (Read(connection) is { } existing)
        {
            return existing;
        }

        // Two processes starting together must agree on one id: create it under a lock, after a second look.
        using (connection.AcquireDistributedLock(StorageKeys.Store, TimeSpan.FromSeconds(30)))
        {
            if (Read(connection) is { } raced)
            {
                return raced;
            }

            var id = Guid.NewGuid().ToString("N");
            connection.SetRangeInHash(StorageKeys.Store, [new KeyValuePair<string, string>(Field, id)]);
            return id;
        }
    }

    private static string? Read(Hangfire.Storage.IStorageConnection connection)
        => connection.GetAllEntriesFromHash(StorageKeys.Store) is { } hash && hash.TryGetValue(Field, out var id) ? id : null;
}
