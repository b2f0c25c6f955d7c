namespace Hangfire.ElasticSqs.Pipeline.Leasing;

/// <summary>
/// Whether the inner storage outlives the process and is shared by every instance, which a lease needs: a job leased
/// on an in-memory store dies with its process, and no other instance could see it to run it again.
/// </summary>
internal static class InnerStorageDurability
{
    public static bool IsDurable(JobStorage innerStorage, bool? configured)
        => configured ?? !IsInMemory(innerStorage.GetType());

    /// <summary>Hangfire.InMemory's and Hangfire.MemoryStorage's storages, and any storage named for memory.</summary>
    private static bool IsInMemory(Type type)
        => type.Namespace is "Hangfire.InMemory" or "Hangfire.MemoryStorage"
            || type.Name.Contains("Memory", StringComparison.OrdinalIgnoreCase);
}
