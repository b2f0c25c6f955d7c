using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Hangfire.ElasticSqs.Tests.Documentation;

/// <summary>
/// Reads the repository's Markdown the way GitHub renders it, enough to check links: inline links outside code, and
/// the anchors GitHub gives headings. Package readmes link with absolute repository URLs (relative ones break on the
/// package page), so those are mapped back to files of this repository.
/// </summary>
internal static partial class MarkdownLinks
{
    public const string RepositoryBlobUrl = "https://github.com/hangfire-elasticsqs/Hangfire.ElasticSqs/blob/main/";

    private static readonly string[] SkippedDirectories = ["bin", "obj", "artifacts", "node_modules", "TestResults"];

    public static DirectoryInfo RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Hangfire.ElasticSqs.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException($"No Hangfire.ElasticSqs.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>Every Markdown file of the repository, outside build output and hidden folders.</summary>
    public static IReadOnlyList<string> Files(DirectoryInfo root)
        => [.. Directory.EnumerateFiles(root.FullName, "*.md", SearchOption.AllDirectories)
            .Where(path => !Path.GetRelativePath(root.FullName, path).Split(Path.DirectorySeparatorChar)
                .Any(part => part.StartsWith('.') || SkippedDirectories.Contains(part, StringComparer.Ordinal)))
            .Order(StringComparer.Ordinal)];

    /// <summary>The targets of the inline links in <paramref name="markdown"/>, skipping code blocks and code spans.</summary>
    public static IEnumerable<string> LinkTargets(string markdown)
    {
        foreach (var line in OutsideCodeBlocks(markdown))
        {
            foreach (Match link in InlineLink().Matches(CodeSpan().Replace(line, string.Empty)))
            {
                yield return link.Groups["target"].Value;
            }
        }
    }

    /// <summary>The anchors GitHub gives the headings of <paramref name="markdown"/>, duplicates numbered as it does.</summary>
    public static IReadOnlySet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in OutsideCodeBlocks(markdown))
        {
            var heading = Heading().Match(line);
            if (!heading.Success)
            {
                continue;
            }

            var slug = Slug(heading.Groups["text"].Value);
            var unique = slug;
            for (var n = 1; !anchors.Add(unique); n++)
            {
                unique = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    /// <summary>GitHub's heading anchor: lower case, markup and punctuation dropped (not '-' or '_'), spaces as '-'.</summary>
    public static string Slug(string headingText)
    {
        var text = InlineLink().Replace(headingText, m => m.Groups["text"].Value).Replace("`", string.Empty, StringComparison.Ordinal);
        var slug = new StringBuilder();
        foreach (var c in text.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
            else if (CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark)
            {
                slug.Append(c);
            }
        }

        return slug.ToString();
    }

    private static IEnumerable<string> OutsideCodeBlocks(string markdown)
    {
        string? fence = null;
        foreach (var line in markdown.Split('\n'))
        {
            var trimmed = line.TrimStart();
            if (fence is null && (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal)))
            {
                fence = trimmed[..3];
            }
            else if (fence is not null && trimmed.StartsWith(fence, StringComparison.Ordinal))
            {
                fence = null;
            }
            else if (fence is null)
            {
                yield return line.TrimEnd('\r');
            }
        }
    }

    [GeneratedRegex(@"!?\[(?<text>[^\]]*)\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*#*\s*$")]
    private static partial Regex Heading();
}
