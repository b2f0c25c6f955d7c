// Hangfire.ElasticSqs build script (Cake 7).
//
//   dotnet tool restore && dotnet cake --target=Test
//
// Targets: Clean, Restore, Build, Test (default), Pack, Demo, Bench.
// Arguments: --configuration=Release|Debug (default Release)
//            --test-filter=<dotnet test --filter expression>   (Test only)
//            --hang-timeout=10m                                 (Test only; per test run, kills a hung test host)
//            --hang-dump=none|mini|full                         (Test only; dump taken when a test hangs)
//            --test-lanes=2                                     (Test only; test runs side by side)
//            --bench-args="..."                                 (Bench only; passed after `--`)
//            --demo-args="..."                                  (Demo only, e.g. --poll; passed after `demo`)
//
// The Test target runs each test project once per target framework it builds for: Hangfire.ElasticSqs.Tests
// and Hangfire.ElasticSqs.Worker.Tests on net8.0 and net10.0, the frameworks the packages ship (net8.0
// self-contained, so only the .NET 10 runtime need be installed); the other suites on net10.0. It prints
// `N passed, N failed[, N skipped]` over all of those runs as the very last line of the whole run (after
// Cake's task report), and the process exits non-zero when any test failed or any test project failed to
// build or run.

using System.IO.Compression;
using System.Xml.Linq;

var target = Argument("target", "Default");
var configuration = Argument("configuration", "Release");
var testFilter = Argument("test-filter", "");
var hangTimeout = Argument("hang-timeout", "10m");
var hangDump = Argument("hang-dump", "none");
var testLanes = Argument("test-lanes", 2);
var benchArgs = Argument("bench-args", "");
var demoArgs = Argument("demo-args", "");

var root = MakeAbsolute(Directory("."));
var solution = root.CombineWithFilePath("Hangfire.ElasticSqs.sln");
var artifacts = root.Combine("artifacts");
var testResults = artifacts.Combine("test-results");
var packages = artifacts.Combine("packages");

var packableProjects = new[]
{
    root.CombineWithFilePath("src/Hangfire.ElasticSqs/Hangfire.ElasticSqs.csproj"),
    root.CombineWithFilePath("src/Hangfire.ElasticSqs.Worker/Hangfire.ElasticSqs.Worker.csproj"),
    root.CombineWithFilePath("src/Hangfire.ElasticSqs.LocalSqsd/Hangfire.ElasticSqs.LocalSqsd.csproj"),
};
var packageFrameworks = new[] { "net8.0", "net10.0" };
var sampleProjectDir = root.Combine("samples/Hangfire.ElasticSqs.Sample");
var benchmarkProjectDir = root.Combine("test/Hangfire.ElasticSqs.Benchmarks");

// Set by the Test target; printed after Cake's report so that it is the last line of the output.
string testSummaryLine = null;

//////////////////////////////////////////////////////////////////////
// Helpers
//////////////////////////////////////////////////////////////////////

int Dotnet(ProcessArgumentBuilder args)
{
    Information("> dotnet {0}", args.RenderSafe());
    return StartProcess("dotnet", new ProcessSettings
    {
        Arguments = args,
        WorkingDirectory = root,
    });
}

// Runs a process with its standard output and error merged into one captured text.
(int ExitCode, string Output) RunCaptured(string tool, ProcessArgumentBuilder args)
{
    var info = new System.Diagnostics.ProcessStartInfo(tool, args.Render())
    {
        WorkingDirectory = root.FullPath,
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
    var output = new System.Text.StringBuilder();
    using var process = new System.Diagnostics.Process { StartInfo = info };
    process.OutputDataReceived += (_, e) => { if (e.Data != null) { lock (output) { output.AppendLine(e.Data); } } };
    process.ErrorDataReceived += (_, e) => { if (e.Data != null) { lock (output) { output.AppendLine(e.Data); } } };
    process.Start();
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    process.WaitForExit();
    lock (output)
    {
        return (process.ExitCode, output.ToString());
    }
}

void DotnetOrThrow(ProcessArgumentBuilder args)
{
    var exitCode = Dotnet(args);
    if (exitCode != 0)
    {
        throw new CakeException($"'dotnet {args.RenderSafe()}' failed with exit code {exitCode}.");
    }
}

// The frameworks a project builds for: its TargetFrameworks when it multi-targets, else its TargetFramework.
List<string> TargetFrameworksOf(FilePath project)
{
    var (exitCode, output) = RunCaptured("dotnet", new ProcessArgumentBuilder()
        .Append("msbuild").AppendQuoted(RelativeFile(project))
        .Append("-nologo")
        .Append("-p:Configuration=" + configuration)
        .Append("-getProperty:TargetFrameworks")
        .Append("-getProperty:TargetFramework"));
    var json = output.IndexOf('{') is var start and >= 0 ? output.Substring(start) : "";
    if (exitCode != 0 || json.Length == 0)
    {
        Error("Could not read the target frameworks of {0} (exit code {1}):{2}{3}", RelativeFile(project), exitCode, Environment.NewLine, output.TrimEnd());
        return new List<string>();
    }

    string list;
    try
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var properties = doc.RootElement.GetProperty("Properties");
        list = properties.GetProperty("TargetFrameworks").GetString();
        if (string.IsNullOrWhiteSpace(list))
        {
            list = properties.GetProperty("TargetFramework").GetString();
        }
    }
    catch (Exception ex) when (ex is System.Text.Json.JsonException || ex is KeyNotFoundException || ex is InvalidOperationException)
    {
        Error("Could not read the target frameworks of {0} ({1}):{2}{3}", RelativeFile(project), ex.Message, Environment.NewLine, output.TrimEnd());
        return new List<string>();
    }

    return (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
}

string RelativeFile(FilePath path) => root.GetRelativePath(MakeAbsolute(path)).FullPath;

string RelativeDir(DirectoryPath path) => root.GetRelativePath(MakeAbsolute(path)).FullPath;

FilePath FindProjectFile(DirectoryPath dir) =>
    DirectoryExists(dir) ? GetFiles(dir.FullPath + "/*.csproj").OrderBy(f => f.FullPath, StringComparer.Ordinal).FirstOrDefault() : null;

void RunApp(string what, DirectoryPath projectDir, string ownerHint, string extraArgs)
{
    var project = FindProjectFile(projectDir);
    if (project == null)
    {
        throw new CakeException(
            $"{what}: no project file in {RelativeDir(projectDir)}/ (expected {RelativeDir(projectDir)}/{projectDir.GetDirectoryName()}.csproj). " +
            $"{ownerHint} Nothing to run.");
    }

    var args = new ProcessArgumentBuilder()
        .Append("run")
        .Append("--project").AppendQuoted(RelativeDir(projectDir))
        .Append("-c").Append(configuration);
    if (!string.IsNullOrWhiteSpace(extraArgs))
    {
        args.Append("--").Append(extraArgs);
    }

    DotnetOrThrow(args);
}

sealed class TestCounts
{
    public int Passed;
    public int Failed;
    public int Skipped;
    public List<string> Failures = new List<string>();
    public List<string> RunErrors = new List<string>();

    public void Add(TestCounts other)
    {
        Passed += other.Passed;
        Failed += other.Failed;
        Skipped += other.Skipped;
        Failures.AddRange(other.Failures);
        RunErrors.AddRange(other.RunErrors);
    }
}

XNamespace TrxNs = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

string Indent(string text, int maxLines)
{
    var lines = (text ?? "").Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToList();
    var shown = lines.Take(maxLines).Select(l => "      " + l);
    var more = lines.Count > maxLines ? new[] { $"      ... ({lines.Count - maxLines} more lines in the TRX file)" } : Array.Empty<string>();
    return string.Join(Environment.NewLine, shown.Concat(more));
}

// Counts the top-level results of one TRX file. Passed -> passed; Failed/Error/Timeout/Aborted -> failed;
// NotExecuted/Inconclusive/Pending/... (NUnit [Ignore], Assert.Ignore, Assert.Inconclusive) -> skipped.
// When the run was aborted (test host crashed, or killed by --blame-hang-timeout), the tests that the
// blame collector's sequence file shows as started but not completed are counted as failed.
TestCounts ReadTrx(FilePath trx, string framework)
{
    var counts = new TestCounts();
    var doc = XDocument.Load(trx.FullPath);
    var run = doc.Root;

    var fullNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
    foreach (var unitTest in run?.Element(TrxNs + "TestDefinitions")?.Elements(TrxNs + "UnitTest") ?? Enumerable.Empty<XElement>())
    {
        var method = unitTest.Element(TrxNs + "TestMethod");
        var className = (string)method?.Attribute("className");
        var id = (string)unitTest.Attribute("id");
        if (id != null && !string.IsNullOrEmpty(className))
        {
            fullNames[id] = className + "." + (string)unitTest.Attribute("name");
        }
    }

    var results = run?.Element(TrxNs + "Results")?.Elements(TrxNs + "UnitTestResult") ?? Enumerable.Empty<XElement>();
    foreach (var result in results)
    {
        var outcome = (string)result.Attribute("outcome") ?? "";
        switch (outcome)
        {
            case "Passed":
                counts.Passed++;
                break;
            case "Failed":
            case "Error":
            case "Timeout":
            case "Aborted":
                counts.Failed++;
                var errorInfo = result.Element(TrxNs + "Output")?.Element(TrxNs + "ErrorInfo");
                var message = Indent((string)errorInfo?.Element(TrxNs + "Message"), 12);
                var testId = (string)result.Attribute("testId") ?? "";
                var name = fullNames.TryGetValue(testId, out var full) ? full : (string)result.Attribute("testName");
                counts.Failures.Add($"  {name} ({framework}) [{outcome}]" + (message.Length > 0 ? Environment.NewLine + message : ""));
                break;
            default:
                counts.Skipped++;
                break;
        }
    }

    var summary = run?.Element(TrxNs + "ResultSummary");
    var runErrors = summary?.Element(TrxNs + "RunInfos")?.Elements(TrxNs + "RunInfo")
        .Where(r => (string)r.Attribute("outcome") == "Error")
        .Select(r => ((string)r.Element(TrxNs + "Text") ?? "").Trim())
        .ToList() ?? new List<string>();
    counts.RunErrors.AddRange(runErrors);

    if (runErrors.Count > 0)
    {
        // Blame sequence files: <results>/<runDeploymentRoot>/In/<href>, or a copy under <results>/<guid>/.
        var deploymentRoot = (string)run?.Element(TrxNs + "TestSettings")?.Element(TrxNs + "Deployment")?.Attribute("runDeploymentRoot");
        var hrefs = summary.Descendants(TrxNs + "A")
            .Select(a => (string)a.Attribute("href"))
            .Where(h => h != null && System.IO.Path.GetFileName(h).StartsWith("Sequence_", StringComparison.Ordinal))
            .ToList();
        var resultsDir = trx.GetDirectory();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var href in hrefs)
        {
            var candidates = new List<string>();
            if (!string.IsNullOrEmpty(deploymentRoot))
            {
                candidates.Add(System.IO.Path.Combine(resultsDir.FullPath, deploymentRoot, "In", href));
            }

            candidates.AddRange(System.IO.Directory.EnumerateFiles(resultsDir.FullPath, System.IO.Path.GetFileName(href), SearchOption.AllDirectories));
            var sequenceFile = candidates.FirstOrDefault(System.IO.File.Exists);
            if (sequenceFile == null)
            {
                continue;
            }

            foreach (var test in XDocument.Load(sequenceFile).Root?.Elements("Test") ?? Enumerable.Empty<XElement>())
            {
                var testName = (string)test.Attribute("Name") ?? (string)test.Attribute("DisplayName") ?? "?";
                if (string.Equals((string)test.Attribute("Completed"), "False", StringComparison.OrdinalIgnoreCase) && seen.Add(testName))
                {
                    counts.Failed++;
                    counts.Failures.Add($"  {testName} ({framework}) [did not complete: test host hung or crashed]" + Environment.NewLine + Indent(string.Join("\n", runErrors), 4));
                }
            }
        }
    }

    return counts;
}

void VerifyPackage(FilePath nupkg, FilePath snupkg, string id)
{
    var problems = new List<string>();
    using (var zip = ZipFile.OpenRead(nupkg.FullPath))
    {
        var entries = new HashSet<string>(zip.Entries.Select(e => e.FullName), StringComparer.Ordinal);
        if (!entries.Contains("README.md"))
        {
            problems.Add("README.md missing at the package root");
        }

        if (!entries.Contains("LICENSE"))
        {
            problems.Add("LICENSE missing at the package root");
        }

        var nuspec = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        if (nuspec == null)
        {
            problems.Add(".nuspec missing");
        }
        else
        {
            using var reader = new StreamReader(nuspec.Open());
            var text = reader.ReadToEnd();
            if (!text.Contains("<readme>README.md</readme>", StringComparison.Ordinal))
            {
                problems.Add("nuspec does not declare <readme>README.md</readme>");
            }

            // The packages are released together, so one depending on another must name its exact version.
            foreach (var dependency in XDocument.Parse(text).Descendants().Where(e => e.Name.LocalName == "dependency"))
            {
                var dependencyId = (string)dependency.Attribute("id");
                var version = (string)dependency.Attribute("version") ?? "";
                if (packableProjects.Any(p => p.GetFilenameWithoutExtension().FullPath == dependencyId)
                    && !(version.StartsWith("[", StringComparison.Ordinal) && version.EndsWith("]", StringComparison.Ordinal) && !version.Contains(',')))
                {
                    problems.Add($"dependency {dependencyId} is {version}, not an exact [version]");
                }
            }
        }

        foreach (var tfm in packageFrameworks)
        {
            foreach (var ext in new[] { ".dll", ".xml" })
            {
                var entry = $"lib/{tfm}/{id}{ext}";
                if (!entries.Contains(entry))
                {
                    problems.Add($"{entry} missing");
                }
            }
        }
    }

    if (!FileExists(snupkg))
    {
        problems.Add($"symbol package {snupkg.GetFilename()} missing");
    }
    else
    {
        using var zip = ZipFile.OpenRead(snupkg.FullPath);
        var entries = new HashSet<string>(zip.Entries.Select(e => e.FullName), StringComparer.Ordinal);
        foreach (var tfm in packageFrameworks)
        {
            if (!entries.Contains($"lib/{tfm}/{id}.pdb"))
            {
                problems.Add($"{snupkg.GetFilename()}: lib/{tfm}/{id}.pdb missing");
            }
        }
    }

    if (problems.Count > 0)
    {
        throw new CakeException($"Package {nupkg.GetFilename()} is incomplete: {string.Join("; ", problems)}.");
    }
}

void ListPackage(FilePath package)
{
    Information("{0} ({1:N0} bytes)", RelativeFile(package), new FileInfo(package.FullPath).Length);
    using var zip = ZipFile.OpenRead(package.FullPath);
    foreach (var entry in zip.Entries
        .Where(e => !e.FullName.StartsWith("package/", StringComparison.Ordinal)
            && !e.FullName.StartsWith("_rels/", StringComparison.Ordinal)
            && e.FullName != "[Content_Types].xml")
        .OrderBy(e => e.FullName, StringComparer.Ordinal))
    {
        Information("    {0,-60} {1,10:N0}", entry.FullName, entry.Length);
    }
}

//////////////////////////////////////////////////////////////////////
// Targets
//////////////////////////////////////////////////////////////////////

Task("Clean")
    .Description("Deletes artifacts/ and runs dotnet clean on the solution.")
    .Does(() =>
{
    if (DirectoryExists(artifacts))
    {
        DeleteDirectory(artifacts, new DeleteDirectorySettings { Recursive = true, Force = true });
    }

    DotnetOrThrow(new ProcessArgumentBuilder()
        .Append("clean").AppendQuoted(RelativeFile(solution))
        .Append("-c").Append(configuration)
        .Append("--nologo").Append("-v").Append("minimal"));
});

Task("Restore")
    .Description("Restores NuGet packages for the solution.")
    .Does(() =>
{
    DotnetOrThrow(new ProcessArgumentBuilder()
        .Append("restore").AppendQuoted(RelativeFile(solution))
        .Append("--locked-mode"));
});

Task("Build")
    .Description("Builds the solution (warnings are errors, set by Directory.Build.props).")
    .IsDependentOn("Restore")
    .Does(() =>
{
    DotnetOrThrow(new ProcessArgumentBuilder()
        .Append("build").AppendQuoted(RelativeFile(solution))
        .Append("-c").Append(configuration)
        .Append("--no-restore").Append("--nologo"));
});

// Each test project is built by its own `dotnet build` and run once per target framework by its own `dotnet test`,
// so one broken or failing project does not keep the others from running; the target fails at the end if any of
// them failed.
Task("Test")
    .Description("Runs every test/**/*.Tests.csproj on each of its target frameworks, writes TRX to artifacts/test-results/, prints 'N passed, N failed'.")
    .Does(() =>
{
    if (DirectoryExists(testResults))
    {
        DeleteDirectory(testResults, new DeleteDirectorySettings { Recursive = true, Force = true });
    }

    EnsureDirectoryExists(testResults);

    var projects = GetFiles(root.FullPath + "/test/**/*.Tests.csproj")
        .OrderBy(p => p.FullPath, StringComparer.Ordinal)
        .ToList();
    if (projects.Count == 0)
    {
        testSummaryLine = "0 passed, 0 failed";
        throw new CakeException("No test projects found (test/**/*.Tests.csproj).");
    }

    Information("Test projects: {0}", string.Join(", ", projects.Select(p => p.GetFilenameWithoutExtension().FullPath)));

    var total = new TestCounts();
    var brokenProjects = new List<string>();

    // Each project is built on its own first, so one that does not build does not keep the others from running;
    // the runs then use --no-build, which lets them share the machine without two builds racing on one output.
    var runs = new List<(FilePath Project, string Name, string Framework)>();
    foreach (var project in projects)
    {
        var name = project.GetFilenameWithoutExtension().FullPath;
        var buildExit = Dotnet(new ProcessArgumentBuilder()
            .Append("build").AppendQuoted(RelativeFile(project))
            .Append("-c").Append(configuration)
            .Append("-p:RestoreLockedMode=true")
            .Append("--nologo"));
        if (buildExit != 0)
        {
            brokenProjects.Add($"{name}: does not build (exit code {buildExit})");
            continue;
        }

        var frameworks = TargetFrameworksOf(project);
        if (frameworks.Count == 0)
        {
            brokenProjects.Add($"{name}: its target frameworks could not be read");
        }

        runs.AddRange(frameworks.Select(framework => (project, name, framework)));
    }

    Information("Test runs: {0}", string.Join(", ", runs.Select(r => $"{r.Name} ({r.Framework})")));

    // One `dotnet test` per framework, rather than one per project: a multi-targeted project's frameworks would
    // otherwise run side by side inside one lane, and its output would interleave. The test projects spend most of
    // their time waiting on moto, PostgreSQL and child processes rather than on the CPU, so the runs go in lanes side
    // by side. The reliability suite is the longest, so it starts first and the other runs share the remaining lanes
    // beside it.
    var ordered = runs
        .OrderBy(r => r.Name.Contains(".Reliability.", StringComparison.Ordinal) ? 0 : 1)
        .ThenBy(r => r.Project.FullPath, StringComparer.Ordinal)
        .ToList();
    var consoleLock = new object();
    var finished = new List<(string Label, TestCounts Counts, double Seconds)>();
    var pending = new System.Collections.Concurrent.ConcurrentQueue<(FilePath Project, string Name, string Framework)>(ordered);
    var lanes = Enumerable.Range(0, Math.Max(1, testLanes)).Select(_ => System.Threading.Tasks.Task.Run(() =>
    {
        while (pending.TryDequeue(out var run))
        {
            var (project, name, framework) = run;
            var label = $"{name} ({framework})";
            // Named per project and framework, so that no two runs write or count the same file.
            var trxName = $"{name}_{framework}.trx";
            var args = new ProcessArgumentBuilder()
                .Append("test").AppendQuoted(RelativeFile(project))
                .Append("-c").Append(configuration)
                .Append("-f").Append(framework)
                .Append("--no-build")
                .Append("--nologo")
                .Append("--results-directory").AppendQuoted(RelativeDir(testResults))
                .Append("--logger").AppendQuoted($"trx;LogFileName={trxName}")
                .Append("--logger").AppendQuoted("console;verbosity=minimal")
                .Append("--blame-hang-timeout").Append(hangTimeout)
                .Append("--blame-hang-dump-type").Append(hangDump);
            if (!string.IsNullOrWhiteSpace(testFilter))
            {
                args.Append("--filter").AppendQuoted(testFilter);
            }

            var started = DateTime.UtcNow;
            var (exitCode, output) = RunCaptured("dotnet", args);
            var seconds = (DateTime.UtcNow - started).TotalSeconds;
            var runCounts = new TestCounts();
            var trx = testResults.CombineWithFilePath(trxName);
            var broken = new List<string>();
            if (!FileExists(trx))
            {
                broken.Add($"{label}: no test results (test host crash?; exit code {exitCode})");
            }
            else
            {
                try
                {
                    runCounts.Add(ReadTrx(trx, framework));
                }
                catch (Exception ex)
                {
                    broken.Add($"{label}: unreadable TRX {trx.GetFilename()} ({ex.Message})");
                }

                if (broken.Count == 0 && exitCode != 0 && runCounts.Failed == 0)
                {
                    broken.Add($"{label}: dotnet test exited with code {exitCode} although no test failed (aborted or hung test host?)");
                }
            }

            // One run's output is printed whole when it ends, so lanes never interleave their lines.
            lock (consoleLock)
            {
                Information("");
                Information("=== {0} ({1:0} s) ===", label, seconds);
                Information("> dotnet {0}", args.RenderSafe());
                Information("{0}", output.TrimEnd());
                Information("{0}: {1} passed, {2} failed, {3} skipped (exit code {4})",
                    label, runCounts.Passed, runCounts.Failed, runCounts.Skipped, exitCode);
                foreach (var runError in runCounts.RunErrors.Distinct())
                {
                    Error("{0}: {1}", label, runError);
                }

                total.Add(runCounts);
                finished.Add((label, runCounts, seconds));
                brokenProjects.AddRange(broken);
            }
        }
    })).ToArray();
    System.Threading.Tasks.Task.WaitAll(lanes);

    // The blame collector leaves empty per-run folders behind; keep only ones with content (hang dumps, sequences).
    foreach (var dir in GetDirectories(testResults.FullPath + "/*"))
    {
        if (!System.IO.Directory.EnumerateFileSystemEntries(dir.FullPath).Any())
        {
            DeleteDirectory(dir, new DeleteDirectorySettings { Recursive = false });
        }
    }

    Information("");
    Information("Test runs:");
    foreach (var (label, counts, seconds) in finished.OrderBy(f => f.Label, StringComparer.Ordinal))
    {
        Information("  {0,-52} {1,5} passed, {2} failed, {3} skipped ({4:0} s)", label, counts.Passed, counts.Failed, counts.Skipped, seconds);
    }

    Information("");
    Information("TRX files in {0}:", RelativeDir(testResults));
    foreach (var trx in GetFiles(testResults.FullPath + "/*.trx").OrderBy(f => f.FullPath, StringComparer.Ordinal))
    {
        Information("  {0}", trx.GetFilename());
    }

    if (total.Failures.Count > 0)
    {
        Error("");
        Error("Failed tests:");
        foreach (var failure in total.Failures)
        {
            Error(failure);
        }
    }

    if (brokenProjects.Count > 0)
    {
        Error("");
        Error("Test projects that did not run cleanly:");
        foreach (var broken in brokenProjects)
        {
            Error("  " + broken);
        }
    }

    testSummaryLine = $"{total.Passed} passed, {total.Failed} failed" + (total.Skipped > 0 ? $", {total.Skipped} skipped" : "");

    if (total.Failed > 0 || brokenProjects.Count > 0)
    {
        var reasons = new List<string>();
        if (total.Failed > 0)
        {
            reasons.Add($"{total.Failed} test(s) failed");
        }

        if (brokenProjects.Count > 0)
        {
            reasons.Add($"{brokenProjects.Count} test project(s) did not run cleanly");
        }

        throw new CakeException(string.Join(", ", reasons) + ".");
    }
});

Task("Pack")
    .Description("Packs src/Hangfire.ElasticSqs, src/Hangfire.ElasticSqs.Worker and src/Hangfire.ElasticSqs.LocalSqsd into artifacts/packages/ and checks their contents.")
    .Does(() =>
{
    if (DirectoryExists(packages))
    {
        DeleteDirectory(packages, new DeleteDirectorySettings { Recursive = true, Force = true });
    }

    EnsureDirectoryExists(packages);

    foreach (var project in packableProjects)
    {
        DotnetOrThrow(new ProcessArgumentBuilder()
            .Append("pack").AppendQuoted(RelativeFile(project))
            .Append("-c").Append(configuration)
            .Append("--nologo")
            .Append("-o").AppendQuoted(RelativeDir(packages)));
    }

    Information("");
    Information("Produced in {0}:", RelativeDir(packages));
    foreach (var project in packableProjects)
    {
        var id = project.GetFilenameWithoutExtension().FullPath;
        // Package file names are <id>.<version>.nupkg; match on the id from the nuspec, since
        // "Hangfire.ElasticSqs.*" would also match "Hangfire.ElasticSqs.Worker.*" and "Hangfire.ElasticSqs.LocalSqsd.*".
        var nupkg = GetFiles(packages.FullPath + "/*.nupkg").FirstOrDefault(p =>
        {
            using var zip = ZipFile.OpenRead(p.FullPath);
            return zip.Entries.Any(e => string.Equals(e.FullName, id + ".nuspec", StringComparison.OrdinalIgnoreCase));
        });
        if (nupkg == null)
        {
            throw new CakeException($"No package for {id} in {RelativeDir(packages)}.");
        }

        var snupkg = nupkg.ChangeExtension(".snupkg");
        ListPackage(nupkg);
        if (FileExists(snupkg))
        {
            ListPackage(snupkg);
        }

        VerifyPackage(nupkg, snupkg, id);
        Information("  OK: {0} has README.md, LICENSE, lib/{{{1}}}/{2}.dll + .xml and exact versions of its sibling packages; symbols in {3}",
            nupkg.GetFilename(), string.Join(",", packageFrameworks), id, snupkg.GetFilename());
        Information("");
    }
});

Task("Demo")
    .Description("Runs the sample app's demo: dotnet run --project samples/Hangfire.ElasticSqs.Sample -c Release -- demo")
    .Does(() =>
{
    RunApp("Demo", sampleProjectDir, "The sample app has not been added yet.", ("demo " + demoArgs).Trim());
});

Task("Bench")
    .Description("Runs the benchmarks: dotnet run --project test/Hangfire.ElasticSqs.Benchmarks -c Release")
    .Does(() =>
{
    RunApp("Bench", benchmarkProjectDir, "The benchmark project has not been added yet.", benchArgs);
});

Task("Default")
    .IsDependentOn("Test");

//////////////////////////////////////////////////////////////////////
// Run
//////////////////////////////////////////////////////////////////////

// Cake prints its task report after Teardown, and an unhandled error after the report; so the test
// summary is printed here, after RunTarget returns or throws, and the exit code is set explicitly.
Exception runFailure = null;
try
{
    RunTarget(target);
}
catch (Exception ex)
{
    runFailure = ex;
}

if (testSummaryLine == null)
{
    if (runFailure != null)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(runFailure).Throw();
    }
}
else
{
    if (runFailure != null)
    {
        var inner = runFailure is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : new[] { runFailure } as IEnumerable<Exception>;
        foreach (var e in inner)
        {
            Error("Error: {0}", e.Message);
        }
    }

    // Plain text (no colour codes), last line of the run.
    Console.Out.Flush();
    Console.Error.Flush();
    Console.WriteLine(testSummaryLine);
    Console.Out.Flush();
    if (runFailure != null)
    {
        Environment.Exit(1);
    }
}
