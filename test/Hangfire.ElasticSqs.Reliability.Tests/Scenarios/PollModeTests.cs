using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amazon.SQS.Model;
using Hangfire.Common;
using Hangfire.ElasticSqs.Messages;
using Hangfire.ElasticSqs.Reliability.Tests.Support;
using Hangfire.ElasticSqs.Testing;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Reliability.Tests.Scenarios;

/// <summary>
/// Poll mode (<c>ReceiveFromSqs = true</c>) killed with SIGKILL mid-job: the killed process's message stops being
/// extended and returns at the queue's visibility timeout; by then the surviving server's watchdog has removed the dead
/// server's record (short heartbeats and server timeout), so the survivor runs the job again and it Succeeds.
/// </summary>
/// <remarks>
/// The victim runs one worker, busy with the job, so it has no receive open when it dies: SQS (and moto) go on serving
/// a killed process's open long poll, and a message that becomes visible during it is taken by the dead process and
/// hidden for one more visibility timeout (with two workers the rerun came about 31 s after the kill instead of 13).
/// </remarks>
[TestFixture]
[NonParallelizable]
public sealed class PollWorkerKilledTests : ScenarioTest
{
    // Longer than twice the server timeout plus a check: the message (extended at half its timeout, so between 8 and
    // 16 s left at the kill) returns after the survivor has removed the dead server, and the job runs at once.
    private const int VisibilityTimeout = 16;

    protected override string Scenario => "Poll: poller killed";

    [Test]
    public async Task A_job_of_a_killed_poller_runs_again_on_another_poller_after_the_visibility_timeout_and_succeeds()
    {
        Checks = $"poller process (1 worker, PostgreSQL) SIGKILLed mid-job, queue VisibilityTimeout {VisibilityTimeout} s, second poller (ServerTimeout 5 s) already running: the job runs again on the second poller and Succeeds, the dead server is removed, queue and DLQ empty";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs, maxRetries: 5, visibilityTimeout: VisibilityTimeout);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        PgProbe.CreateTable(database);
        var release = Path.Combine(Path.GetTempPath(), "poll-release-" + Guid.NewGuid().ToString("N")[..8]);
        using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys);
        await using var victim = await WorkerProcess.StartPollerAsync(PollerSettings.For(Fixture.Moto, queues.Prefix, keys, database, "poll-victim", workers: 1));
        var jobId = producer.Client.Enqueue(() => PgProbe.Block(database, "poll-killed", release, null!));
        await Eventually.True(() => PgProbe.Runs(database).Any(r => r.JobId == jobId && r.ProcessId == victim.Id), "the job to start on the victim", TimeSpan.FromSeconds(30));

        await using var survivor = await WorkerProcess.StartPollerAsync(PollerSettings.For(Fixture.Moto, queues.Prefix, keys, database, "poll-survivor", workers: 2));
        var stateAtKill = producer.StateOf(jobId);
        await victim.KillAsync();
        var clock = Stopwatch.StartNew();
        var killedAt = DateTime.UtcNow;
        await File.WriteAllTextAsync(release, "go");

        await Eventually.True(() => producer.StateOf(jobId) == "Succeeded", "the job to succeed on the survivor", TimeSpan.FromSeconds(60));
        var succeededAfter = clock.Elapsed;
        await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the queue to be empty", TimeSpan.FromSeconds(30));
        var runs = PgProbe.Runs(database).Where(r => r.JobId == jobId).ToList();
        var deadLetters = await queues.DeadLetterDepthAsync();
        var servers = producer.Storage.InnerStorage.GetMonitoringApi().Servers().Select(s => s.Name).ToList();
        var survivorLog = survivor.ReadLog();
        var heldBack = Occurrences(survivorLog, "delivered again in");
        var receiveFailures = Occurrences(survivorLog, "Receiving from Hangfire queue");
        Numbers = $"job {jobId} {stateAtKill} at the kill; runs {runs.Count} ({string.Join(", ", runs.Select(r => (r.ProcessId == victim.Id ? "victim" : "survivor") + (r.Ended is null ? " cut" : " ended")))}); "
            + $"rerun began {string.Join("/", runs.Where(r => r.ProcessId == survivor.Id).Select(r => (r.Started.ToUniversalTime() - killedAt).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)))} s and Succeeded {succeededAfter.TotalSeconds:0.0} s after the kill (visibility {VisibilityTimeout} s); survivor held it back {heldBack} time(s), logged {receiveFailures} receive failure(s); servers left {servers.Count}; DLQ {deadLetters}";

        stateAtKill.Should().Be("Processing");
        runs.Count.Should().BeGreaterThanOrEqualTo(1);
        runs.Should().Contain(r => r.ProcessId == victim.Id && r.Ended == null, "the victim's run was cut short");
        runs.Should().Contain(r => r.ProcessId == survivor.Id && r.Ended != null, "the survivor ran it to the end");
        servers.Should().NotContain(s => s.StartsWith("poll-victim:", StringComparison.OrdinalIgnoreCase), "the survivor's watchdog removes the dead server");
        deadLetters.Should().Be(0);
        File.Delete(release);
        Passed();
    }

    internal static int Occurrences(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}

/// <summary>
/// SIGTERM to a poller that holds a received message no worker has started: the server's stopping signal gives it back
/// (visibility 0) at once, so another poller runs it long before the queue's visibility timeout; the running job
/// finishes within the shutdown timeout and its message is deleted before the process exits.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PollGracefulShutdownTests : ScenarioTest
{
    // Far above the test's deadline: a job that runs within it was given back, not redelivered at the timeout.
    private const int VisibilityTimeout = 300;

    protected override string Scenario => "Poll: SIGTERM gives back";

    [Test]
    public async Task SIGTERM_gives_back_a_received_but_unstarted_message_which_another_poller_runs_before_the_visibility_timeout()
    {
        Checks = $"poller A (1 worker, queues critical+default, VisibilityTimeout {VisibilityTimeout} s) runs a blocking critical job and holds a default job unstarted (2 messages in flight, default job Enqueued); poller B started, SIGTERM to A: B runs the default job within 60 s, A's critical job finishes and Succeeds before A exits, each job runs once, queues and DLQs empty";
        using var sqs = Fixture.Moto.CreateClient();
        var critical = await WorkerQueues.CreateAsync(sqs, maxRetries: 5, name: "critical", visibilityTimeout: VisibilityTimeout);
        var @default = await WorkerQueues.CreateAsync(sqs, maxRetries: 5, prefix: critical.Prefix, visibilityTimeout: VisibilityTimeout);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        PgProbe.CreateTable(database);
        var release = Path.Combine(Path.GetTempPath(), "poll-release-" + Guid.NewGuid().ToString("N")[..8]);
        using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, critical.Prefix, keys);
        PollerSettings Settings(string name) => PollerSettings.For(Fixture.Moto, critical.Prefix, keys, database, name, workers: 1) with { Queues = ["critical", "default"], ShutdownTimeoutSeconds = 30 };
        var stopping = await WorkerProcess.StartPollerAsync(Settings("poll-stopping"));
        WorkerProcess? replacement = null;
        try
        {
            // A's first receives (queue URLs, a first receive per queue) take a few SQS calls after its server registers;
            // its first heartbeat after the registration (they come every second) means they are done and A waits in
            // one long poll per queue. A critical job received earlier would leave the default queue without a receive.
            var monitor = producer.Storage.InnerStorage.GetMonitoringApi();
            await Eventually.True(
                () => monitor.Servers().Any(s => s.Name.StartsWith("poll-stopping:", StringComparison.OrdinalIgnoreCase) && s.Heartbeat > s.StartedAt.AddSeconds(0.5)),
                "A to send a heartbeat after its start",
                TimeSpan.FromSeconds(30));

            // The critical job first, so that A's one worker takes it; the default job then meets A's open long poll.
            var longId = producer.Client.Enqueue("critical", () => PgProbe.Block(database, "poll-long", release, null!));
            await Eventually.True(() => critical.CountAsync("ApproximateNumberOfMessagesNotVisible").GetAwaiter().GetResult() == 1, "A to receive the critical job", TimeSpan.FromSeconds(30));
            var shortId = producer.Client.Enqueue("default", () => PgProbe.Run(database, "poll-short", null!));
            var inFlight = await Eventually.Until(
                async () => await critical.CountAsync("ApproximateNumberOfMessagesNotVisible") + await @default.CountAsync("ApproximateNumberOfMessagesNotVisible"),
                n => n == 2,
                "A to hold both messages (critical running, default received)",
                TimeSpan.FromSeconds(30));
            await Eventually.True(() => PgProbe.Runs(database).Any(r => r.JobId == longId), "the critical job to start on A", TimeSpan.FromSeconds(30));
            var shortStateHeld = producer.StateOf(shortId);
            var shortRunsHeld = PgProbe.Runs(database).Count(r => r.JobId == shortId);

            replacement = await WorkerProcess.StartPollerAsync(Settings("poll-replacement"));
            var shortStateBeforeStop = producer.StateOf(shortId);
            stopping.Terminate();
            var clock = Stopwatch.StartNew();
            await Eventually.True(() => producer.StateOf(shortId) == "Succeeded", "B to run the given-back default job", TimeSpan.FromSeconds(60));
            var shortAfter = clock.Elapsed;
            var exitedBeforeRelease = stopping.HasExited;
            await File.WriteAllTextAsync(release, "go");
            await stopping.WaitForExitAsync(TimeSpan.FromSeconds(45));
            var exitedAfter = clock.Elapsed;

            await Eventually.True(() => critical.DepthAsync().GetAwaiter().GetResult() + @default.DepthAsync().GetAwaiter().GetResult() == 0, "both queues to be empty", TimeSpan.FromSeconds(30));
            var runs = PgProbe.Runs(database);
            var longRuns = runs.Where(r => r.JobId == longId).ToList();
            var shortRuns = runs.Where(r => r.JobId == shortId).ToList();
            var deadLetters = await critical.DeadLetterDepthAsync() + await @default.DeadLetterDepthAsync();
            var log = stopping.ReadLog();
            Numbers = $"in flight on A before SIGTERM {inFlight} (default job {shortStateHeld}, {shortRunsHeld} runs); default job Succeeded on {(shortRuns.All(r => r.ProcessId == replacement.Id) ? "B" : "A?")} {shortAfter.TotalSeconds:0.0} s after SIGTERM (visibility {VisibilityTimeout} s); "
                + $"A exited {exitedAfter.TotalSeconds:0.0} s after SIGTERM (after the critical job's release), exit code {stopping.ExitCode}; critical job {producer.StateOf(longId)}, runs {longRuns.Count}; A logged a give-back: {log.Contains("gave back 1 received message", StringComparison.Ordinal)}; DLQs {deadLetters}";

            inFlight.Should().Be(2);
            shortStateHeld.Should().Be("Enqueued");
            shortRunsHeld.Should().Be(0);
            shortStateBeforeStop.Should().Be("Enqueued");
            shortRuns.Should().ContainSingle().Which.ProcessId.Should().Be(replacement.Id);
            exitedBeforeRelease.Should().BeFalse("A waits for its running job");
            producer.StateOf(longId).Should().Be("Succeeded");
            longRuns.Should().ContainSingle().Which.Should().Match<ProbeRun>(r => r.ProcessId == stopping.Id && r.Ended != null);
            deadLetters.Should().Be(0);
            Passed();
        }
        finally
        {
            File.Delete(release);
            await stopping.DisposeAsync();
            if (replacement is not null)
            {
                await replacement.DisposeAsync();
            }
        }
    }
}

/// <summary>Two poller processes on one PostgreSQL database share a stream of no-op jobs: each runs once and Succeeds.</summary>
[TestFixture]
[NonParallelizable]
public sealed class PollLoadTests : ScenarioTest
{
    private const int Jobs = 1_000;

    protected override string Scenario => "Poll: two pollers";

    [Test]
    public async Task Two_pollers_on_one_database_run_every_job_once_and_leave_nothing_on_the_queues()
    {
        const int producers = 4;
        const int window = 100;
        Checks = $"{Jobs:N0} no-op jobs from {producers} producers (at most {window} ahead), 2 poller processes (10 workers each) on one PostgreSQL: each job started once (counted per job id in PostgreSQL), all Succeeded, queue and DLQ empty";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs, maxRetries: 5);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        PgProbe.CreateTable(database);
        using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys);
        await using var a = await WorkerProcess.StartPollerAsync(PollerSettings.For(Fixture.Moto, queues.Prefix, keys, database, "poll-load-a"));
        await using var b = await WorkerProcess.StartPollerAsync(PollerSettings.For(Fixture.Moto, queues.Prefix, keys, database, "poll-load-b"));

        // moto slows down as its queue fills (SQS does not): the producers stay at most a window ahead of the workers.
        var monitor = producer.Storage.InnerStorage.GetMonitoringApi();
        var clock = Stopwatch.StartNew();
        var ids = new string[Jobs];
        await Parallel.ForAsync(0, Jobs, new ParallelOptions { MaxDegreeOfParallelism = producers }, async (i, _) =>
        {
            if (i % 10 == 0 && i >= window)
            {
                await Eventually.True(() => i - monitor.SucceededListCount() < window, "the pollers to keep up with the producers", TimeSpan.FromMinutes(1));
            }

            ids[i] = producer.Client.Enqueue(() => PgProbe.Run(database, "load-" + i.ToString(CultureInfo.InvariantCulture), null!));
        });
        var produced = clock.Elapsed;
        try
        {
            await Eventually.True(() => monitor.SucceededListCount() >= Jobs, $"{Jobs} jobs to succeed", TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException ex)
        {
            // Where the missing jobs are tells a stall in the pollers from one in the sends.
            var visible = await queues.CountAsync("ApproximateNumberOfMessages");
            var inFlight = await queues.CountAsync("ApproximateNumberOfMessagesNotVisible");
            var started = PgProbe.Runs(database).Select(r => r.JobId).Distinct(StringComparer.Ordinal).Count();
            var missing = ids.Where(id => id is not null && producer.StateOf(id) != "Succeeded").Take(5).Select(id => $"{id} {producer.StateOf(id)}");
            throw new TimeoutException(
                $"{ex.Message}; succeeded {monitor.SucceededListCount()}, started {started}, pending sends {producer.Storage.Outbox.PendingCount()}, " +
                $"queue visible {visible} in flight {inFlight}, DLQ {await queues.DeadLetterDepthAsync()}, pollers alive A {!a.HasExited} B {!b.HasExited}; not succeeded: {string.Join(", ", missing)}",
                ex);
        }

        var succeeded = clock.Elapsed;
        await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the queue to be empty (batched deletes)", TimeSpan.FromSeconds(30));

        var starts = PgProbe.Runs(database).GroupBy(r => r.JobId).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var twice = starts.Where(s => s.Value.Count > 1).Select(s => s.Key).ToList();
        var notSucceeded = ids.Where(id => producer.StateOf(id) != "Succeeded").ToList();
        var perProcess = starts.Values.SelectMany(r => r).GroupBy(r => r.ProcessId == a.Id ? "A" : r.ProcessId == b.Id ? "B" : "?").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}");
        var deadLetters = await queues.DeadLetterDepthAsync();
        var stats = monitor.GetStatistics();
        Numbers = $"{Jobs:N0} jobs produced in {produced.TotalSeconds:0.0} s, all Succeeded after {succeeded.TotalSeconds:0.0} s ({Jobs / succeeded.TotalSeconds:0} jobs/s end to end); starts {starts.Values.Sum(r => r.Count)} for {starts.Count} job ids ({string.Join(", ", perProcess)}), twice {twice.Count}; Succeeded {stats.Succeeded}, Failed {stats.Failed}; queue 0, DLQ {deadLetters}";
        await TestContext.Progress.WriteLineAsync("Poll load: " + Numbers);

        twice.Should().BeEmpty("no job starts twice");
        starts.Keys.Should().BeEquivalentTo(ids, "every job started");
        notSucceeded.Should().BeEmpty();
        stats.Failed.Should().Be(0);
        deadLetters.Should().Be(0);
        Passed();
    }
}

/// <summary>
/// Hostile messages put straight on the queue (unsigned; signed, then its body altered; signed, naming a type that
/// cannot be loaded) are never deleted and never run: the queue's redrive policy moves each to the dead-letter queue,
/// while a genuine job sent alongside Succeeds.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PollHostileMessageTests : ScenarioTest
{
    private const int MaxReceiveCount = 2;

    protected override string Scenario => "Poll: hostile messages";

    [Test]
    public async Task Unsigned_tampered_and_unloadable_messages_reach_the_dead_letter_queue_without_running_and_a_valid_job_succeeds()
    {
        Checks = $"unsigned message, signed message with its body altered, signed message naming a missing type, sent with the AWS SDK beside a genuine job, poller (4 workers), redrive maxReceiveCount {MaxReceiveCount}, VisibilityTimeout 1 s: the three reach the DLQ, none runs (no probe start), the genuine job Succeeds once, main queue empty";
        using var sqs = Fixture.Moto.CreateClient();
        var queues = await WorkerQueues.CreateAsync(sqs, maxRetries: MaxReceiveCount, visibilityTimeout: 1);
        var keys = new Keys();
        var database = await Fixture.CreateHangfireDatabaseAsync();
        PgProbe.CreateTable(database);
        using var producer = new Producer(ReliabilityWorkerApp.PostgreSqlStorage(database), sqs, queues.Prefix, keys);
        await using var poller = await WorkerProcess.StartPollerAsync(PollerSettings.For(Fixture.Moto, queues.Prefix, keys, database, "poll-hostile", workers: 4));

        // Each names a probe job that would record a start if it ran; "another store", so the job is imported from the message.
        string Probe(string key) => InvocationData.SerializeJob(Job.FromExpression(() => PgProbe.Run(database, key, null!))).SerializePayload();
        var unsigned = JobMessage.Create(new JobEnvelope("hostile-unsigned", "default", Probe("hostile-unsigned"), DateTime.UtcNow, "some-other-store"), 0, null, producer.Storage.Signer);
        var unsignedAttributes = unsigned.ToAttributes();
        unsignedAttributes.Remove(MessageAttributeNames.Signature);
        var tampered = JobMessage.Create(new JobEnvelope("hostile-tampered", "default", Probe("hostile-tampered"), DateTime.UtcNow, "some-other-store"), 0, null, producer.Storage.Signer);
        var tamperedBody = Encoding.UTF8.GetString(tampered.Body).Replace("hostile-tampered\\\\\\\"", "hostile-tamperex\\\\\\\"", StringComparison.Ordinal);
        var missingType = new InvocationData("Nope.MissingJobType, Nope.Missing.Assembly", "Run", "[]", "[]").SerializePayload(excludeArguments: false);
        var unloadable = JobMessage.Create(new JobEnvelope("hostile-unloadable", "default", missingType, DateTime.UtcNow, "some-other-store"), 0, null, producer.Storage.Signer);

        var clock = Stopwatch.StartNew();
        await sqs.SendMessageAsync(new SendMessageRequest(queues.Url, Encoding.UTF8.GetString(unsigned.Body)) { MessageAttributes = unsignedAttributes });
        await sqs.SendMessageAsync(new SendMessageRequest(queues.Url, tamperedBody) { MessageAttributes = tampered.ToAttributes() });
        await sqs.SendMessageAsync(new SendMessageRequest(queues.Url, Encoding.UTF8.GetString(unloadable.Body)) { MessageAttributes = unloadable.ToAttributes() });
        var validId = producer.Client.Enqueue(() => PgProbe.Run(database, "valid", null!));

        await Eventually.True(() => producer.StateOf(validId) == "Succeeded", "the genuine job to succeed", TimeSpan.FromSeconds(30));
        await Eventually.True(() => queues.DeadLetterDepthAsync().GetAwaiter().GetResult() == 3, "the three hostile messages in the dead-letter queue", TimeSpan.FromSeconds(60));
        var deadAfter = clock.Elapsed;
        await Eventually.True(() => queues.DepthAsync().GetAwaiter().GetResult() == 0, "the main queue to be empty", TimeSpan.FromSeconds(30));

        var dead = (await queues.PeekDeadLettersAsync()).Select(m => m.MessageAttributes.TryGetValue(MessageAttributeNames.JobId, out var id) ? id.StringValue : "?").Order(StringComparer.Ordinal).ToList();
        var runs = PgProbe.Runs(database);
        var log = poller.ReadLog();
        var poison = PollWorkerKilledTests.Occurrences(log, "left for the queue's redrive policy");
        Numbers = $"DLQ after {deadAfter.TotalSeconds:0.0} s: [{string.Join(", ", dead)}]; poison receives logged {poison}; probe starts: hostile {runs.Count(r => r.Key.StartsWith("hostile", StringComparison.Ordinal))}, genuine {runs.Count(r => r.JobId == validId)}; genuine job {producer.StateOf(validId)}";

        dead.Should().Equal("hostile-tampered", "hostile-unloadable", "hostile-unsigned");
        tamperedBody.Should().NotBe(Encoding.UTF8.GetString(tampered.Body), "the tampering changed the body");
        runs.Should().NotContain(r => r.Key.StartsWith("hostile", StringComparison.Ordinal), "no hostile message runs");
        runs.Should().ContainSingle(r => r.JobId == validId);
        poison.Should().BeGreaterThanOrEqualTo(3, "each hostile message is refused on each receive");
        Passed();
    }
}
