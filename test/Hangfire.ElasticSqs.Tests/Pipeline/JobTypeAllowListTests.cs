using Hangfire.ElasticSqs.Pipeline;

namespace Hangfire.ElasticSqs.Tests.Pipeline;

public class JobTypeAllowListTests
{
    private static string Payload(string type) => "{\"t\":\"" + type + "\",\"m\":\"Run\",\"p\":[],\"a\":[]}";

    [TestCase("MyApp.Jobs.Report, MyApp")]
    [TestCase("MyApp.Jobs.Nightly.Cleanup, MyApp")]
    [TestCase("MyApp.Special, MyApp")]
    [TestCase("MyApp.Handler`1[[System.String, mscorlib]], MyApp")]
    public void Listed_types_and_namespaces_are_allowed(string type)
        => new JobTypeAllowList(["MyApp.Jobs.*", "MyApp.Special", "MyApp.Handler`1"]).Refusal(Payload(type)).Should().BeNull();

    [TestCase("System.Diagnostics.Process, System.Diagnostics.Process")]
    [TestCase("MyApp.JobsEvil.Run, MyApp")]
    [TestCase("MyApp.Specialist, MyApp")]
    [TestCase("MyApp.Special+Nested, MyApp")]
    public void Other_types_are_refused_naming_the_type_and_the_option(string type)
        => new JobTypeAllowList(["MyApp.Jobs.*", "MyApp.Special"]).Refusal(Payload(type))
            .Should().Contain("'" + type.Split(',')[0] + "' is not in AllowedJobTypes");

    [Test]
    public void The_long_payload_form_is_read_too()
        => new JobTypeAllowList(["MyApp.Jobs.*"]).Refusal("{\"Type\":\"System.IO.File, System.Runtime\",\"Method\":\"Delete\"}")
            .Should().Contain("'System.IO.File'");

    [Test]
    public void An_unreadable_payload_is_refused_when_a_list_is_set_and_anything_runs_without_one()
    {
        new JobTypeAllowList(["MyApp.Jobs.*"]).Refusal("[1]").Should().Contain("cannot be read");
        new JobTypeAllowList([]).Refusal("[1]").Should().BeNull();
    }

    [TestCase("MyApp.Jobs.*", true)]
    [TestCase("MyApp.Jobs.Report", true)]
    [TestCase("*", false)]
    [TestCase(".*", false)]
    [TestCase("MyApp.Jobs.", false)]
    [TestCase("MyApp Jobs", false)]
    [TestCase("", false)]
    public void Entries_are_type_names_or_namespace_wildcards(string entry, bool valid)
        => JobTypeAllowList.IsValidEntry(entry).Should().Be(valid);
}
