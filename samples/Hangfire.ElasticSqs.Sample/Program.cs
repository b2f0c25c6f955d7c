using Hangfire;
using Hangfire.ElasticSqs.Sample;
using Hangfire.ElasticSqs.Sample.Demo;

// `demo` runs the self-contained demo (moto SQS + local sqsd + this app); anything else runs the app as configured.
if (args.Length > 0 && args[0] == "demo")
{
    return await DemoCommand.RunAsync(args[1..]);
}

var app = SampleApp.Build(args);

// `elasticsqs cron-yaml [--output cron.yaml] [--check]` regenerates (or checks) the cron.yaml deployed with the app,
// from the recurring jobs SampleApp registered; the worker role also compares it with them at start-up.
if (await app.TryRunElasticSqsCommandAsync(args))
{
    return Environment.ExitCode;
}

await app.RunAsync();
return 0;
