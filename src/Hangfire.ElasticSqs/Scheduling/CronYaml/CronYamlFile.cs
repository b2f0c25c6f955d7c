namespace Hangfire.ElasticSqs.Scheduling.CronYaml;

/// <summary>
/// The Elastic Beanstalk worker <c>cron.yaml</c> file: <c>version: 1</c> and a <c>cron</c> list of
/// <see cref="CronYamlTask"/> entries. Tasks are kept sorted by name (ordinal) so that two files with
/// the same tasks compare and print identically.
/// </summary>
internal sealed class CronYamlFile
{
    /// <summary>The only <c>version</c> value sqsd understands.</summary>
    public const int SupportedVersion = 1;

    /// <summary>Creates a file holding <paramref name="tasks"/>.</summary>
    /// <param name="tasks">The periodic tasks; names must be unique and every field non-empty.</param>
    /// <exception cref="ArgumentException">A task has an empty field, or two tasks share a name.</exception>
    public CronYamlFile(IEnumerable<CronYamlTask> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var sorted = tasks.OrderBy(task => task?.Name, StringComparer.Ordinal).ToList();
        for (var i = 0; i < sorted.Count; i++)
        {
            var task = sorted[i] ?? throw new ArgumentException("The task list contains null.", nameof(tasks));
            if (string.IsNullOrEmpty(task.Name) || string.IsNullOrEmpty(task.Url) || string.IsNullOrEmpty(task.Schedule))
            {
                throw new ArgumentException($"Task '{task.Name}' has an empty name, url or schedule.", nameof(tasks));
            }

            if (i > 0 && string.Equals(sorted[i - 1].Name, task.Name, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Two tasks are named '{task.Name}'; sqsd needs unique names.", nameof(tasks));
            }
        }

        Tasks = sorted;
    }

    /// <summary>The periodic tasks, sorted by name (ordinal).</summary>
    public IReadOnlyList<CronYamlTask> Tasks { get; }

    /// <summary>
    /// Reads a <c>cron.yaml</c> the way Elastic Beanstalk does: any YAML, the keys of an entry in any order.
    /// Unknown keys are ignored, as sqsd ignores them.
    /// </summary>
    /// <param name="yaml">The file's text.</param>
    /// <returns>The parsed file.</returns>
    /// <exception cref="FormatException">
    /// The file has no <c>version: 1</c>, an entry lacks <c>name</c>, <c>url</c> or <c>schedule</c>, two entries
    /// share a name or a key, or the text is not YAML. The message names the line or entry and the problem.
    /// </exception>
    public static CronYamlFile Parse(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        return new CronYamlFile(CronYamlReader.Read(yaml));
    }

    /// <summary>
    /// Writes the file deterministically: tasks sorted by name (ordinal), two-space indentation, every value
    /// double-quoted with YAML escapes (non-ASCII escaped too), <c>\n</c> line endings and a trailing newline.
    /// </summary>
    /// <returns>The YAML text, ready to be saved as <c>cron.yaml</c> at the root of the source bundle.</returns>
    public string ToYaml() => CronYamlWriter.Write(Tasks);
}
