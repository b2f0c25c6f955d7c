using Hangfire.ElasticSqs.Worker.Http;

namespace Hangfire.ElasticSqs.Worker.Tests.Http;

public class SqsdTimestampTests
{
    private static readonly DateTimeOffset Expected = new(2019, 11, 14, 0, 47, 0, TimeSpan.Zero);

    [TestCase("2019-11-14T00:47:00Z")]
    [TestCase(" 2019-11-14T00:47:00Z ")]
    [TestCase("2019-11-14t00:47:00z")]
    [TestCase("2019-11-14T00:47:00.000Z")]
    [TestCase("2019-11-14T01:47:00+01:00")]
    [TestCase("2019-11-14 00:47:00 UTC")]
    [TestCase("2019-11-14T00:47:00")]
    [TestCase("1573692420000")]
    public void Reads_sqsd_and_emulator_formats_as_utc(string value)
    {
        var parsed = SqsdTimestamp.Parse(value);

        parsed.Should().Be(Expected);
        parsed!.Value.Offset.Should().Be(TimeSpan.Zero);
    }

    [Test]
    public void Reads_a_leap_day() =>
        SqsdTimestamp.Parse("2024-02-29T23:59:59Z").Should().Be(new DateTimeOffset(2024, 2, 29, 23, 59, 59, TimeSpan.Zero));

    [TestCase(null)]
    [TestCase("")]
    [TestCase("yesterday")]
    [TestCase("2019-13-45T00:00:00Z")]
    [TestCase("2019-02-29T00:00:00Z")]
    [TestCase("2019-11-14T24:00:00Z")]
    [TestCase("2019-11-1400:47:00ZZ")]
    [TestCase("99999999999999999")]
    public void Unreadable_values_are_null(string? value) =>
        SqsdTimestamp.Parse(value).Should().BeNull();
}
