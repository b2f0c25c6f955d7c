using Hangfire.ElasticSqs.Scheduling.CronYaml;

namespace Hangfire.ElasticSqs.Tests.Scheduling.CronYaml;

public class CronYamlFileTests
{
    [Test]
    public void Parses_the_example_from_the_Elastic_Beanstalk_docs()
    {
        var file = CronYamlFile.Parse("""
            version: 1
            cron:
             - name: "backup-job"          # This must be unique among all tasks
               url: "/backup"              # The URL that will be invoked
               schedule: "0 */12 * * *"    # Daily at 00:00 and 12:00 UTC
             - name: "audit"
               url: "/audit"
               schedule: "0 23 * * *"
            """);

        file.Tasks.Should().Equal(
            new CronYamlTask("audit", "/audit", "0 23 * * *"),
            new CronYamlTask("backup-job", "/backup", "0 */12 * * *"));
    }

    [Test]
    public void Accepts_plain_and_single_quoted_values_any_key_order_crlf_and_ignores_unknown_keys()
    {
        var yaml = "# header comment\r\n---\r\nversion: 1\r\ncron:\r\n- schedule: 30 3 * * *   # nightly\r\n"
            + "  description: ignored by sqsd\r\n  url: '/periodic-tasks'\r\n  name: 'it''s'\r\n"
            + "-\r\n    url: /other\r\n    name: other\r\n    schedule: \"*/5 * * * *\"\r\n";

        CronYamlFile.Parse(yaml).Tasks.Should().Equal(
            new CronYamlTask("it's", "/periodic-tasks", "30 3 * * *"),
            new CronYamlTask("other", "/other", "*/5 * * * *"));
    }

    [Test]
    public void Reads_flow_style_entries_as_sqsd_does()
    {
        var file = CronYamlFile.Parse("version: 1\ncron:\n  - {name: a, url: /a, schedule: \"* * * * *\"}\n");

        file.Tasks.Should().Equal(new CronYamlTask("a", "/a", "* * * * *"));
    }

    [Test]
    public void Reads_double_quoted_escapes()
    {
        var file = CronYamlFile.Parse("version: 1\ncron:\n  - name: \"a\\\"b\\\\c\\u00e9\\U0001F600\"\n    url: \"/x\"\n    schedule: \"* * * * *\"\n");

        file.Tasks.Single().Name.Should().Be("a\"b\\c\u00e9\U0001F600");
    }

    [Test]
    public void Writes_sorted_double_quoted_ascii_with_lf_and_a_trailing_newline()
    {
        var file = new CronYamlFile([
            new CronYamlTask("zeta", "/periodic-tasks", "0 3 * * *"),
            new CronYamlTask("Alpha \"quoted\" \u00e9", "/periodic-tasks", "*/5 * * * *"),
        ]);

        file.ToYaml().Should().Be(
            "version: 1\n"
            + "cron:\n"
            + "  - name: \"Alpha \\\"quoted\\\" \\u00E9\"\n"
            + "    url: \"/periodic-tasks\"\n"
            + "    schedule: \"*/5 * * * *\"\n"
            + "  - name: \"zeta\"\n"
            + "    url: \"/periodic-tasks\"\n"
            + "    schedule: \"0 3 * * *\"\n");
    }

    [Test]
    public void An_empty_task_list_is_written_as_an_explicit_empty_list_and_read_back()
    {
        var yaml = new CronYamlFile([]).ToYaml();

        yaml.Should().Be("version: 1\ncron: []\n");
        CronYamlFile.Parse(yaml).Tasks.Should().BeEmpty();
    }

    [Test]
    public void Round_trips_awkward_values()
    {
        var original = new CronYamlFile([
            new CronYamlTask("tab\there # not a comment", "/p?a=1&b='2'", "0 0 * * *"),
            new CronYamlTask("emoji \U0001F600 back\\slash", "/p", "* * * * *"),
            new CronYamlTask("plain", "/periodic-tasks", "0 */2 * * 1-5"),
        ]);

        var reparsed = CronYamlFile.Parse(original.ToYaml());

        reparsed.Tasks.Should().Equal(original.Tasks);
        reparsed.ToYaml().Should().Be(original.ToYaml());
    }

    [TestCase("", "empty")]
    [TestCase("cron: []\n", "no 'version'")]
    [TestCase("version: 2\ncron: []\n", "version '2' is not supported")]
    [TestCase("version: \"1\"\ncron: []\n", "(quoted)")]
    [TestCase("version: 1\n", "no 'cron' list")]
    [TestCase("version: 1\ncron:\n  - name: a\n    schedule: \"* * * * *\"\n", "line 3: entry 1 (\"a\") has no 'url'")]
    [TestCase("version: 1\ncron:\n  - url: /a\n", "entry 1 has no 'name', 'schedule'")]
    [TestCase("version: 1\ncron:\n  - name: a\n    url: /a\n    schedule: \"* * * * *\"\n  - name: a\n    url: /b\n    schedule: \"0 * * * *\"\n", "line 6: entry 2 is named \"a\" like the entry at line 3")]
    [TestCase("version: 1\ncron:\n  - name: a\n    url: /a\n    url: /b\n    schedule: \"* * * * *\"\n", "line 5: Duplicate key")]
    [TestCase("version: 1\ncron:\n  - name: \"a\n    url: /a\n", "cron.yaml line 3")]
    [TestCase("version: 1\ncron:\n  - just text\n", "line 3: entry 1 must be a mapping")]
    [TestCase("version: 1\ncron: every minute\n", "line 2: 'cron' must be a list")]
    public void Refuses_what_sqsd_would_refuse_or_what_cannot_be_read_safely(string yaml, string expectedProblem)
    {
        var parse = () => CronYamlFile.Parse(yaml);

        parse.Should().Throw<FormatException>().Which.Message.Should().Contain(expectedProblem);
    }

    [Test]
    public void Constructor_refuses_duplicate_names()
    {
        var create = () => new CronYamlFile([new CronYamlTask("a", "/x", "* * * * *"), new CronYamlTask("a", "/y", "* * * * *")]);

        create.Should().Throw<ArgumentException>().WithMessage("*'a'*unique*");
    }
}
