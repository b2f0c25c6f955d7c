using System.Reflection;
using Hangfire.ElasticSqs.Storage;
using Hangfire.ElasticSqs.Tests.Support;
using Hangfire.States;
using Hangfire.Storage;

namespace Hangfire.ElasticSqs.Tests.Storage;

/// <summary>The Dashboard's view of the wrapper over Hangfire.InMemory: every call it makes works.</summary>
public class ElasticSqsMonitoringApiTests
{
    private SqsTestBed _bed = null!;
    private ElasticSqsStorage _storage = null!; // disposed by the test bed

    [OneTimeSetUp]
    public async Task Start()
    {
        _bed = await SqsTestBed.StartAsync();
        await _bed.CreateQueueAsync("default");
        await _bed.CreateQueueAsync("critical");
        _storage = _bed.CreateStorage();
    }

    [OneTimeTearDown]
    public async Task Stop() => await _bed.DisposeAsync();

    [TestCase(typeof(JobStorage), typeof(ElasticSqsStorage))]
    [TestCase(typeof(JobStorageConnection), typeof(ElasticSqsConnection))]
    [TestCase(typeof(JobStorageTransaction), typeof(ElasticSqsTransaction))]
    [TestCase(typeof(JobStorageMonitor), typeof(ElasticSqsMonitoringApi))]
    public void Every_virtual_member_of_the_storage_base_classes_is_overridden(Type baseType, Type wrapper)
    {
        var notOverridden = baseType.GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.IsVirtual && !m.IsFinal && m.DeclaringType == baseType && m.Name != nameof(ToString))
            .Where(m => wrapper.GetMethod(m.Name, BindingFlags.Public | BindingFlags.Instance, m.GetParameters().Select(p => p.ParameterType).ToArray())?.DeclaringType != wrapper)
            .Select(m => m.ToString())
            .ToList();

        notOverridden.Should().BeEmpty();
    }

    [Test]
    public void Every_call_the_dashboard_makes_works_through_the_wrapper()
    {
        var client = new BackgroundJobClient(_storage);
        var enqueued = client.Enqueue(() => TestJobs.Work(1));
        var critical = client.Enqueue(() => TestJobs.Critical());
        var scheduled = client.Schedule(() => TestJobs.Work(2), TimeSpan.FromHours(1));
        var awaiting = client.ContinueJobWith(scheduled, () => TestJobs.Work(3));
        var deleted = client.Enqueue(() => TestJobs.Work(4));
        client.Delete(deleted);
        new RecurringJobManager(_storage).AddOrUpdate("nightly", () => TestJobs.Work(5), Cron.Daily());

        var monitor = _storage.GetMonitoringApi();
        var walk = () =>
        {
            monitor.GetStatistics();
            monitor.Queues();
            monitor.Servers();
            monitor.JobDetails(enqueued);
            monitor.EnqueuedJobs("default", 0, 10);
            monitor.FetchedJobs("default", 0, 10);
            monitor.ProcessingJobs(0, 10);
            monitor.ScheduledJobs(0, 10);
            monitor.SucceededJobs(0, 10);
            monitor.FailedJobs(0, 10);
            monitor.DeletedJobs(0, 10);
            ((JobStorageMonitor)monitor).AwaitingJobs(0, 10);
            monitor.ScheduledCount();
            monitor.EnqueuedCount("default");
            monitor.FetchedCount("default");
            monitor.FailedCount();
            monitor.ProcessingCount();
            monitor.SucceededListCount();
            monitor.DeletedListCount();
            ((JobStorageMonitor)monitor).AwaitingCount();
            monitor.SucceededByDatesCount();
            monitor.FailedByDatesCount();
            ((JobStorageMonitor)monitor).DeletedByDatesCount();
            monitor.HourlySucceededJobs();
            monitor.HourlyFailedJobs();
            ((JobStorageMonitor)monitor).HourlyDeletedJobs();

            foreach (var connection in new[] { (JobStorageConnection)_storage.GetConnection(), (JobStorageConnection)_storage.GetReadOnlyConnection() })
            {
                using (connection)
                {
                    connection.GetRecurringJobs();
                    connection.GetRecurringJobCount();
                    connection.GetJobData(enqueued);
                    connection.GetStateData(enqueued);
                    connection.GetJobParameter(enqueued, "CurrentCulture");
                    connection.GetAllEntriesFromHash("recurring-job:nightly");
                    connection.GetValueFromHash("recurring-job:nightly", "Cron");
                    connection.GetHashCount("recurring-job:nightly");
                    connection.GetHashTtl("recurring-job:nightly");
                    connection.GetSetCount("recurring-jobs");
                    connection.GetSetCount(["recurring-jobs", "retries"], 100);
                    connection.GetSetContains("recurring-jobs", "nightly");
                    connection.GetRangeFromSet("recurring-jobs", 0, 10);
                    connection.GetSetTtl("recurring-jobs");
                    connection.GetFirstByLowestScoreFromSet("recurring-jobs", 0, double.MaxValue, 5);
                    connection.GetAllItemsFromSet("retries");
                    connection.GetListCount("x");
                    connection.GetAllItemsFromList("x");
                    connection.GetRangeFromList("x", 0, 10);
                    connection.GetListTtl("x");
                    connection.GetCounter("stats:succeeded");
                    connection.GetUtcDateTime();
                }
            }
        };

        walk.Should().NotThrow();
        monitor.GetStatistics().Enqueued.Should().Be(2);
        monitor.GetStatistics().Scheduled.Should().Be(1);
        ((JobStorageMonitor)monitor).AwaitingCount().Should().Be(1);
        monitor.JobDetails(awaiting).History.Should().NotBeEmpty();
    }

    [Test]
    public void Queue_views_list_the_jobs_sent_to_sqs_without_receiving_messages()
    {
        var client = new BackgroundJobClient(_storage);
        var first = client.Enqueue(() => TestJobs.Work(10));
        var second = client.Enqueue(() => TestJobs.Work(11));

        var monitor = _storage.GetMonitoringApi();
        var queue = monitor.Queues().Should().Contain(q => q.Name == "default").Subject;
        queue.Length.Should().BeGreaterThanOrEqualTo(2);
        monitor.GetStatistics().Queues.Should().BeGreaterThanOrEqualTo(1, "the metric must not read '2 / 0'");
        var listed = monitor.EnqueuedJobs("default", 0, 1000);
        listed.Select(j => j.Key).Should().Contain([first, second]);
        listed.Single(j => j.Key == first).Value.InEnqueuedState.Should().BeTrue();
        listed.Single(j => j.Key == first).Value.Job!.Method.Name.Should().Be(nameof(TestJobs.Work));

        client.ChangeState(first, new DeletedState());
        monitor.EnqueuedJobs("default", 0, 1000).Single(j => j.Key == first).Value.InEnqueuedState.Should().BeFalse("the Dashboard flags entries whose job moved on");
    }
}
