using System.Text;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Tests.Support;

namespace Hangfire.ElasticSqs.Tests.Messages;

public class MessageSignerTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"v\":1,\"jobId\":\"42\"}");

    private static readonly Dictionary<string, string?> Attributes = new()
    {
        [MessageAttributeNames.JobId] = "42",
        [MessageAttributeNames.Retry] = "0",
    };

    private static MessageSigner Signer(params (string Id, string Key)[] keys)
        => new(keys.ToDictionary(k => k.Id, k => k.Key), keys[0].Id);

    private static string? Attribute(string name) => Attributes.GetValueOrDefault(name);

    [Test]
    public void A_signature_verifies_and_names_its_key()
    {
        var signer = Signer((TestKeys.CurrentId, TestKeys.Current));
        var signature = signer.Sign(Body, Attribute);

        signature.Should().StartWith($"v2:{TestKeys.CurrentId}:");
        signer.Verify(Body, Attribute, signature).Should().BeTrue();
    }

    [Test]
    public void A_changed_body_or_signed_attribute_fails_verification()
    {
        var signer = Signer((TestKeys.CurrentId, TestKeys.Current));
        var signature = signer.Sign(Body, Attribute);

        var tamperedBody = (byte[])Body.Clone();
        tamperedBody[^2] ^= 1;
        signer.Verify(tamperedBody, Attribute, signature).Should().BeFalse();
        signer.Verify(Body, n => n == MessageAttributeNames.Retry ? "7" : Attribute(n), signature).Should().BeFalse("the retry count is signed");
        signer.Verify(Body, n => n == MessageAttributeNames.Due ? "1700000000000" : Attribute(n), signature).Should().BeFalse("an added due time is signed");
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("v1:k2026")]
    [TestCase("v1:k2026:not-base64!")]
    [TestCase("v2:k2026:AAAA")]
    [TestCase("v1:unknown:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [TestCase("v3:k2026:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void Missing_or_malformed_signatures_are_refused(string? signature)
        => Signer((TestKeys.CurrentId, TestKeys.Current)).Verify(Body, Attribute, signature).Should().BeFalse();

    [Test]
    public void The_send_time_and_the_audience_are_signed()
    {
        var keys = new Dictionary<string, string> { [TestKeys.CurrentId] = TestKeys.Current };
        var web = new MessageSigner(keys, TestKeys.CurrentId, "shop-production");
        string? Sent(string n) => n == MessageAttributeNames.Sent ? "1764806400000" : Attribute(n);
        var signature = web.Sign(Body, Sent);

        new MessageSigner(keys, TestKeys.CurrentId, "shop-production").Verify(Body, Sent, signature).Should().BeTrue();
        web.Verify(Body, n => n == MessageAttributeNames.Sent ? "1764806400001" : Attribute(n), signature).Should().BeFalse("the send time is signed");
        new MessageSigner(keys, TestKeys.CurrentId, "shop-staging").Verify(Body, Sent, signature).Should().BeFalse("another audience shares the key");
        new MessageSigner(keys, TestKeys.CurrentId).Verify(Body, Sent, signature).Should().BeFalse("no audience is not any audience");
    }

    [Test]
    public void A_v1_signature_verifies_only_as_version_1()
    {
        // The v1 format, written out independently: "v1\n<key id>\n", the three v1 attributes, then the body.
        var header = Encoding.UTF8.GetBytes($"v1\n{TestKeys.CurrentId}\nhangfire-due\nhangfire-job-id=42\nhangfire-retry=0\n");
        var mac = System.Security.Cryptography.HMACSHA256.HashData(Convert.FromBase64String(TestKeys.Current), (byte[])[.. header, .. Body]);
        var v1 = $"v1:{TestKeys.CurrentId}:{Convert.ToBase64String(mac)}";
        var signer = Signer((TestKeys.CurrentId, TestKeys.Current));

        signer.VerifiedVersion(Body, Attribute, v1).Should().Be(1);
        signer.Verify(Body, Attribute, v1).Should().BeFalse("Verify accepts the current version only");
        signer.VerifiedVersion(Body, n => n == MessageAttributeNames.Retry ? "1" : Attribute(n), v1).Should().Be(0);
    }

    [Test]
    public void Messages_signed_with_the_previous_key_verify_while_it_is_configured_and_not_after()
    {
        var previousSigner = Signer((TestKeys.PreviousId, TestKeys.Previous));
        var oldSignature = previousSigner.Sign(Body, Attribute);

        var rotated = Signer((TestKeys.CurrentId, TestKeys.Current), (TestKeys.PreviousId, TestKeys.Previous));
        rotated.Verify(Body, Attribute, oldSignature).Should().BeTrue();
        rotated.Sign(Body, Attribute).Should().StartWith($"v2:{TestKeys.CurrentId}:", "the current key signs");

        var retired = Signer((TestKeys.CurrentId, TestKeys.Current));
        retired.Verify(Body, Attribute, oldSignature).Should().BeFalse();
    }

    [Test]
    public void A_signature_cannot_be_replayed_under_another_key_id()
    {
        var both = Signer((TestKeys.CurrentId, TestKeys.Current), (TestKeys.PreviousId, TestKeys.Previous));
        var signature = both.Sign(Body, Attribute);
        var relabelled = signature.Replace(TestKeys.CurrentId, TestKeys.PreviousId, StringComparison.Ordinal);

        both.Verify(Body, Attribute, relabelled).Should().BeFalse();
    }

    [Test]
    public void The_signature_is_hmac_sha256_over_the_documented_canonical_bytes()
    {
        // A known-answer check, computed here without the signer: "v2\n<key id>\n<audience>\n", each signed attribute in
        // ordinal order as "name=value\n" (absent: "name\n"), then the exact body. Changing this breaks every queued message.
        var signer = new MessageSigner(new Dictionary<string, string> { [TestKeys.CurrentId] = TestKeys.Current }, TestKeys.CurrentId, "shop-production");
        var canonical = $"v2\n{TestKeys.CurrentId}\nshop-production\nhangfire-due\nhangfire-job-id=42\nhangfire-retry=0\nhangfire-sent\n";
        var expected = System.Security.Cryptography.HMACSHA256.HashData(
            Convert.FromBase64String(TestKeys.Current), (byte[])[.. Encoding.UTF8.GetBytes(canonical), .. Body]);

        signer.Sign(Body, Attribute).Should().Be($"v2:{TestKeys.CurrentId}:{Convert.ToBase64String(expected)}");
    }

    [Test]
    public void Long_and_non_ascii_attribute_values_are_signed_as_utf8()
    {
        // Past the 512-byte stack buffer the header goes through a pooled array; both paths must sign the same bytes.
        var signer = Signer((TestKeys.CurrentId, TestKeys.Current));
        var longId = "é" + new string('7', 600);
        string? Long(string name) => name == MessageAttributeNames.JobId ? longId : Attribute(name);
        var canonical = $"v2\n{TestKeys.CurrentId}\n\nhangfire-due\nhangfire-job-id={longId}\nhangfire-retry=0\nhangfire-sent\n";
        var expected = System.Security.Cryptography.HMACSHA256.HashData(
            Convert.FromBase64String(TestKeys.Current), (byte[])[.. Encoding.UTF8.GetBytes(canonical), .. Body]);

        var signature = signer.Sign(Body, Long);
        signature.Should().Be($"v2:{TestKeys.CurrentId}:{Convert.ToBase64String(expected)}");
        signer.Verify(Body, Long, signature).Should().BeTrue();
        signer.Verify(Body, Attribute, signature).Should().BeFalse();
    }

    [Test]
    public void Signers_and_keys_used_alternately_on_many_threads_never_mix_up_keys()
    {
        // The keyed HMAC is cached per thread for the key last used: switching key or signer must rekey it.
        var current = Signer((TestKeys.CurrentId, TestKeys.Current));
        var previous = Signer((TestKeys.PreviousId, TestKeys.Previous));
        var both = Signer((TestKeys.CurrentId, TestKeys.Current), (TestKeys.PreviousId, TestKeys.Previous));
        var byCurrent = current.Sign(Body, Attribute);
        var byPrevious = previous.Sign(Body, Attribute);
        var failures = 0;

        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var ok = (i % 4) switch
            {
                0 => both.Verify(Body, Attribute, byCurrent) && !previous.Verify(Body, Attribute, byCurrent),
                1 => both.Verify(Body, Attribute, byPrevious) && !current.Verify(Body, Attribute, byPrevious),
                2 => current.Sign(Body, Attribute) == byCurrent,
                _ => previous.Sign(Body, Attribute) == byPrevious,
            };
            if (!ok)
            {
                Interlocked.Increment(ref failures);
            }
        });

        failures.Should().Be(0);
    }
}
