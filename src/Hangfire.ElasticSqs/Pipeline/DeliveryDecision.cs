namespace Hangfire.ElasticSqs.Pipeline;

/// <summary>
/// The pipeline's decision on a verified message: run the job (it is then held in <see cref="InFlightJobs"/> until the
/// host calls <see cref="DeliveryPipeline.Release"/>), or a final result without running it.
/// </summary>
internal readonly record struct DeliveryDecision(string? RunJobId, string Queue, DeliveryResult Result)
{
    public bool ShouldRun => RunJobId is not null;

    public static DeliveryDecision Run(string jobId, string queue) => new(jobId, queue, default);

    public static DeliveryDecision Done(DeliveryResult result) => new(null, string.Empty, result);
}
