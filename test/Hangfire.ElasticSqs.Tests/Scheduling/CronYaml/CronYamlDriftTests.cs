using Hangfire.ElasticSqs.Scheduling.CronYaml;

namespace Hangfire.ElasticSqs.Tests.Scheduling.CronYaml;

public class CronYamlDriftTests
{
    private static readonly CronYamlFile Expected = new([
        new CronYamlTask("backup", "/periodic-tasks", "0 2 * * *"),
        new CronYamlTask("digest", "/periodic-tasks", "0 7 * * 1"),
        new CronYamlTask("report", "/periodic-tasks", "30 3 * * *"),
    ]);

    [Test]
    public void The_same_tasks_give_no_differences_even_with_other_spacing_and_order()
    {
        var deployed = CronYamlFile.Parse("""
            version: 1
            cron:
              - name: report
                url: /periodic-tasks
                schedule: "30  3 * * *"
              - schedule: 0 7 * * 1
                name: digest
                url: /periodic-tasks
              - name: backup
                url: /periodic-tasks
                schedule: 0 2 * * *
            """);

        CronYamlDrift.Compare(deployed, Expected).Should().BeEmpty();
    }

    [Test]
    public void Reports_missing_extra_and_changed_tasks_in_name_order()
    {
        var deployed = new CronYamlFile([
            new CronYamlTask("backup", "/periodic-tasks", "0 3 * * *"),
            new CronYamlTask("digest", "/periodic_tasks", "0 7 * * 1"),
            new CronYamlTask("old-task", "/periodic-tasks", "* * * * *"),
        ]);

        CronYamlDrift.Compare(deployed, Expected).Should().Equal(
            "Task 'backup' has schedule '0 3 * * *' in the deployed cron.yaml, but its recurring job needs '0 2 * * *' (UTC).",
            "Task 'digest' is sent to url '/periodic_tasks' in the deployed cron.yaml, but the worker expects '/periodic-tasks'.",
            "Task 'old-task' (schedule '* * * * *', url '/periodic-tasks') in the deployed cron.yaml matches no registered recurring job.",
            "Task 'report' (schedule '30 3 * * *', url '/periodic-tasks') is missing from the deployed cron.yaml: its recurring job never runs on Elastic Beanstalk.");
    }
}
