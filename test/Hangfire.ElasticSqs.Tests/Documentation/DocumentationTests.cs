namespace Hangfire.ElasticSqs.Tests.Documentation;

/// <summary>The README and docs a user reads: links that lead somewhere, and a README that stays short.</summary>
public class DocumentationTests
{
    private static readonly DirectoryInfo Root = MarkdownLinks.RepositoryRoot();

    [Test]
    public void Every_relative_link_in_the_markdown_points_to_an_existing_file_and_heading()
    {
        var files = MarkdownLinks.Files(Root);
        files.Select(f => Path.GetRelativePath(Root.FullName, f)).Should().Contain(["README.md", Path.Combine("docs", "configuration.md")]);

        var checkedLinks = 0;
        var broken = new List<string>();
        foreach (var file in files)
        {
            foreach (var target in MarkdownLinks.LinkTargets(File.ReadAllText(file)))
            {
                if (!TryResolve(file, target, out var path, out var anchor))
                {
                    continue;
                }

                checkedLinks++;
                var source = Path.GetRelativePath(Root.FullName, file);
                if (!File.Exists(path) && !Directory.Exists(path))
                {
                    broken.Add($"{source}: {target} (no such file)");
                }
                else if (anchor.Length > 0 && (!File.Exists(path) || !MarkdownLinks.Anchors(File.ReadAllText(path)).Contains(anchor)))
                {
                    broken.Add($"{source}: {target} (no heading with that anchor)");
                }
            }
        }

        checkedLinks.Should().BeGreaterThan(50, "the README and docs link to each other");
        string.Join(Environment.NewLine, broken).Should().BeEmpty("every link should lead to a file and heading of this repository");
    }

    [Test]
    public void The_readme_is_at_most_10_KB_and_starts_with_the_demo_and_the_test_command()
    {
        var readme = Path.Combine(Root.FullName, "README.md");
        new FileInfo(readme).Length.Should().BeLessThanOrEqualTo(10 * 1024, "details belong in docs/, linked from the README");

        var commands = File.ReadAllText(readme).Split("```sh\n").Skip(1).Take(2).Select(block => block.Split("\n```")[0]);
        commands.Should().Equal("dotnet tool restore && dotnet cake --target=Demo", "dotnet tool restore && dotnet cake --target=Test");
    }

    [Test]
    public void Github_anchors_follow_githubs_rules_for_code_punctuation_and_duplicates()
    {
        MarkdownLinks.Slug("nginx `proxy_read_timeout` (Amazon Linux 2023)").Should().Be("nginx-proxy_read_timeout-amazon-linux-2023");
        MarkdownLinks.Slug("cron.yaml at build time").Should().Be("cronyaml-at-build-time");
        MarkdownLinks.Slug("`LocalSqsdOptions`").Should().Be("localsqsdoptions");
        MarkdownLinks.Anchors("# A\n```\n# not a heading\n```\n## A\n").Should().BeEquivalentTo(["a", "a-1"]);
    }

    /// <summary>A link to a file of this repository, relative or as an absolute URL of its main branch; false for other links.</summary>
    private static bool TryResolve(string file, string target, out string path, out string anchor)
    {
        path = anchor = string.Empty;
        if (target.StartsWith(MarkdownLinks.RepositoryBlobUrl, StringComparison.Ordinal))
        {
            target = "/" + target[MarkdownLinks.RepositoryBlobUrl.Length..];
        }
        else if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
        {
            return false;
        }

        var hash = target.IndexOf('#', StringComparison.Ordinal);
        anchor = hash < 0 ? string.Empty : target[(hash + 1)..];
        var relative = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
        path = relative.Length == 0 ? file
            : relative.StartsWith('/') ? Path.Combine(Root.FullName, relative.TrimStart('/'))
            : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, relative));
        return true;
    }
}
