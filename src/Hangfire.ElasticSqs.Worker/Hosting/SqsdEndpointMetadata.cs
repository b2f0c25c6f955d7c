namespace Hangfire.ElasticSqs.Worker.Hosting;

/// <summary>Marks the endpoints <c>MapElasticSqsWorker</c> adds, so the matcher policy can find them.</summary>
internal sealed class SqsdEndpointMetadata
{
    public static readonly SqsdEndpointMetadata Instance = new();

    private SqsdEndpointMetadata()
    {
    }
}
