namespace Hangfire.ElasticSqs.Testing;

/// <summary>
/// A base for test classes that share one moto for the whole fixture (starting one takes seconds); each test isolates
/// itself with queues of its own. Tests that stop or restart SQS start their own moto instead.
/// </summary>
public abstract class MotoFixture
{
    protected MotoServer Moto { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartSharedMotoAsync() => Moto = await MotoServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopSharedMotoAsync() => await Moto.DisposeAsync();
}
