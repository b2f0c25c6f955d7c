using Hangfire.ElasticSqs.Sample;
using Hangfire.ElasticSqs.Sample.Demo;

// `demo` runs the self-contained demo (moto SQS + local sqsd + this app); anything else runs the app as configured.
if (args.Length > 0 && args[0] == "demo")
{
    return await DemoCommand.RunAsync(args[1..]);
}

var app = SampleApp.Build(args);
await app.RunAsync();
return 0;
