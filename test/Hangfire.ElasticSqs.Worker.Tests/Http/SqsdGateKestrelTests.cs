using System.Net;
using Hangfire.ElasticSqs.Worker.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Hangfire.ElasticSqs.Worker.Tests.Http;

/// <summary>The gate in front of a minimal endpoint, on real Kestrel over loopback.</summary>
public class SqsdGateKestrelTests
{
    [Test]
    public async Task Sqsd_requests_from_loopback_are_answered_and_others_fall_through_to_404()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        var gate = new SqsdRequestGate(new SqsdGateOptions());
        app.Use(async (context, next) =>
        {
            var result = gate.Evaluate(context);
            switch (result.Decision)
            {
                case SqsdGateDecision.NotSqsd:
                    await next(context);
                    break;
                case SqsdGateDecision.Forbidden:
                    await WorkerResponses.Forbidden(context.Response);
                    break;
                default:
                    await (SqsdDelivery.TryParse(context.Request, out var delivery, out var error)
                        ? WorkerResponses.Ok(context.Response, $"received {delivery.MessageId}")
                        : WorkerResponses.BadRequest(context.Response, error));
                    break;
            }
        });
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        using var sqsd = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent("{}") };
        sqsd.Headers.TryAddWithoutValidation("User-Agent", "aws-sqsd/3.0.4");
        sqsd.Headers.Add("X-Aws-Sqsd-Msgid", "4c3f0f50-4c28-433e-81f8-c9c79bf22f0b");
        using var sqsdResponse = await client.SendAsync(sqsd);
        using var other = await client.PostAsync("/", new StringContent("{}"));

        sqsdResponse.StatusCode.Should().Be(HttpStatusCode.OK);
        (await sqsdResponse.Content.ReadAsStringAsync()).Should().Be("received 4c3f0f50-4c28-433e-81f8-c9c79bf22f0b");
        other.StatusCode.Should().Be(HttpStatusCode.NotFound);
        await app.StopAsync();
    }
}
