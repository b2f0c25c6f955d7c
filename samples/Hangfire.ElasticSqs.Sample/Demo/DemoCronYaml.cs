using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Hangfire.ElasticSqs.Sample.Demo;

/// <summary>The generated <c>cron.yaml</c>, read back so the demo can send its tasks the way sqsd's leader does.</summary>
internal sealed class DemoCronYaml
{
    private DemoCronYaml(string yaml, IReadOnlyList<DemoCronTask> tasks)
    {
        Yaml = yaml;
        Tasks = tasks;
    }

    public string Yaml { get; }

    public IReadOnlyList<DemoCronTask> Tasks { get; }

    public static DemoCronYaml From(string yaml)
    {
        var file = new DeserializerBuilder()
            .WithNamingConvention(LowerCaseNamingConvention.Instance)
            .IgnoreUnmatchedProperties()
            .Build()
            .Deserialize<FileShape>(yaml);
        return new DemoCronYaml(yaml, file.Cron.Select(task => new DemoCronTask(task.Name, task.Url)).ToList());
    }

    private sealed class FileShape
    {
        public List<TaskShape> Cron { get; set; } = [];
    }

    private sealed class TaskShape
    {
        public string Name { get; set; } = string.Empty;

        public string Url { get; set; } = string.Empty;
    }
}

/// <summary>One <c>cron.yaml</c> task: its name and the worker path sqsd posts it to.</summary>
internal sealed record DemoCronTask(string Name, string Url);
