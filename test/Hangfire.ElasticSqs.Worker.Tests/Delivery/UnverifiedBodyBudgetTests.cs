using System.Net;
using Hangfire.ElasticSqs.Testing;
using Hangfire.ElasticSqs.Worker.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace Hangfire.ElasticSqs.Worker.Tests.Delivery;

/// <summary>Bodies not yet verified hold at most the budget: past it, a request is answered 503 before it is read.</summary>
public class UnverifiedBodyBudgetTests
{
    private const int Announced = 1024 * 1024;

    [Test]
    public async Task A_body_that_does_not_fit_the_budget_of_unverified_bodies_gets_503_at_once_and_is_read_once_room_is_free()
    {
        await using var moto = await MotoServer.StartAsync();
        var budget = new UnverifiedBodyBudget(capacity: Announced + (Announced / 2));
        await using var host = await WorkerTestHost.StartAsync(moto, services: s => s.AddSingleton(budget));

        // A client that announces 1 MiB and then stalls: its body holds the budget while it trickles in.
        var stalled = new StalledContent(Announced);
        using var slowRequest = WorkerTestHost.SqsdRequest(string.Empty, new Dictionary<string, string>());
        slowRequest.Content = stalled;
        var slow = host.Http.SendAsync(slowRequest);
        await Eventually.True(() => budget.Available < budget.Capacity, "the stalled body to hold its share of the budget");

        using var second = WorkerTestHost.SqsdRequest(new string('a', Announced - 100), new Dictionary<string, string>());
        var refused = await host.Http.SendAsync(second);

        refused.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await refused.Content.ReadAsStringAsync()).Should().Contain("waiting for their signature check");
        stalled.Finish();
        (await slow).StatusCode.Should().Be(HttpStatusCode.Forbidden, "once read, the unsigned body is refused as usual");
        budget.Available.Should().Be(budget.Capacity, "every reservation is given back");
        using var third = WorkerTestHost.SqsdRequest(new string('a', Announced - 100), new Dictionary<string, string>());
        (await host.Http.SendAsync(third)).StatusCode.Should().Be(HttpStatusCode.Forbidden, "with room free the next body is read and checked");
    }

    private sealed class StalledContent(int length) : HttpContent
    {
        private readonly TaskCompletionSource _finish = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Finish() => _finish.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(new byte[1024]);
            await stream.FlushAsync();
            await _finish.Task;
            await stream.WriteAsync(new byte[length - 1024]);
        }

        protected override bool TryComputeLength(out long length2)
        {
            length2 = length;
            return true;
        }
    }
}
