using Hangfire.ElasticSqs.Storage;

namespace Hangfire.ElasticSqs.Tests.Storage;

public class StorageKeysTests
{
    [Test]
    public void Import_keys_of_different_store_and_job_pairs_never_collide_even_with_colons()
    {
        StorageKeys.Import("a:b", "c").Should().NotBe(StorageKeys.Import("a", "b:c"));
        StorageKeys.Import("a", ":b").Should().NotBe(StorageKeys.Import("a:", "b"));
    }

    [Test]
    public void Periodic_run_keys_of_different_jobs_never_collide_even_with_colons()
    {
        var at = new DateTimeOffset(2026, 11, 23, 3, 0, 0, TimeSpan.Zero);
        StorageKeys.PeriodicRun("job:1764", at).Should().NotBe(StorageKeys.PeriodicRun("job", at));
    }
}
