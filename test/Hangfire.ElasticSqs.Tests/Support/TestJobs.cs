namespace Hangfire.ElasticSqs.Tests.Support;

/// <summary>Job methods enqueued by the tests (they never run in this project: there is no worker).</summary>
public static class TestJobs
{
    public static void Work(int value) => _ = value;

    public static void Carry(string data) => _ = data;

    [Queue("critical")]
    public static void Critical() { }
}
