using Hangfire.ElasticSqs.Worker.Http;

namespace Hangfire.ElasticSqs.Worker.Tests.Http;

public class SqsdUserAgentTests
{
    [TestCase("aws-sqsd")]
    [TestCase("aws-sqsd/3.0.4")]
    [TestCase("aws-sqsd/2.4")]
    [TestCase("AWS-SQSD/1.1")]
    public void Recognises_every_sqsd_version(string userAgent) =>
        SqsdUserAgent.IsSqsd(userAgent, []).Should().BeTrue();

    [TestCase(null)]
    [TestCase("")]
    [TestCase("curl/8.5.0")]
    [TestCase("Mozilla/5.0 aws-sqsd")]
    [TestCase("sqsd")]
    public void Ignores_other_agents(string? userAgent) =>
        SqsdUserAgent.IsSqsd(userAgent, []).Should().BeFalse();

    [Test]
    public void Accepts_a_configured_extra_prefix_ignoring_case() =>
        SqsdUserAgent.IsSqsd("SQSD/3.0.0", ["sqsd"]).Should().BeTrue();
}
