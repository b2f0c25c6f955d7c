using Hangfire.ElasticSqs.Scheduling.CronYaml;

namespace Hangfire.ElasticSqs.Tests.Scheduling.CronYaml;

public class CronYamlTaskNamesTests
{
    [TestCase("nightly-report")]
    [TestCase("Billing.Invoices_Send")]
    [TestCase("a")]
    public void Ids_that_are_already_safe_header_values_are_used_as_they_are(string id)
    {
        CronYamlTaskNames.ToTaskName(id).Should().Be(id);
    }

    [TestCase("cleanup:temp files", "cleanup_temp_files--0e20aa703795")]
    public void Unsafe_ids_become_a_sanitized_prefix_and_a_hash_of_the_original(string id, string expected)
    {
        CronYamlTaskNames.ToTaskName(id).Should().Be(expected);
    }

    [TestCase("report for café")]
    [TestCase("日本語のジョブ")]
    [TestCase("tab\tand\nnewline")]
    [TestCase("x--0123456789ab")]
    public void Mapped_names_are_short_safe_and_stable(string id)
    {
        var name = CronYamlTaskNames.ToTaskName(id);

        name.Should().MatchRegex("^[A-Za-z0-9._-]{1,64}$").And.MatchRegex("--[0-9a-f]{12}$").And.NotBe(id);
        CronYamlTaskNames.ToTaskName(id).Should().Be(name);
    }

    [Test]
    public void Long_ids_are_cut_to_64_characters_and_stay_distinct()
    {
        var first = new string('a', 70) + "1";
        var second = new string('a', 70) + "2";

        var names = new[] { CronYamlTaskNames.ToTaskName(first), CronYamlTaskNames.ToTaskName(second) };

        names.Should().OnlyContain(name => name.Length <= CronYamlTaskNames.MaxLength).And.OnlyHaveUniqueItems();
    }

    [Test]
    public void Ids_that_sanitize_alike_still_get_distinct_names()
    {
        string[] ids = ["send email", "send:email", "send/email", "send_email", "send__email", "send_email--4f1c6d3b2a90"];

        var names = ids.Select(CronYamlTaskNames.ToTaskName).ToList();

        names.Should().OnlyHaveUniqueItems();
    }

    [Test]
    public void The_worker_finds_the_recurring_job_behind_a_task_name_from_the_registered_ids()
    {
        var lookup = CronYamlTaskNames.MapTaskNamesToRecurringJobIds(["nightly-report", "cleanup:temp files", "日本語のジョブ"]);

        lookup["nightly-report"].Should().Be("nightly-report");
        lookup["cleanup_temp_files--0e20aa703795"].Should().Be("cleanup:temp files");
        lookup[CronYamlTaskNames.ToTaskName("日本語のジョブ")].Should().Be("日本語のジョブ");
        lookup.Should().HaveCount(3);
    }

    [Test]
    public void Empty_ids_are_rejected()
    {
        var map = () => CronYamlTaskNames.ToTaskName(string.Empty);

        map.Should().Throw<ArgumentException>();
    }
}
