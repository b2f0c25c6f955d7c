using System.Globalization;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Hangfire.ElasticSqs.Messages;

/// <summary>
/// The JSON body of a job message: <c>{ v, jobId, queue, job, createdAt, store }</c>. <c>job</c> is Hangfire's own
/// compact invocation payload, so a message is self-contained and readable in the SQS console; <c>store</c> names the
/// inner storage that created the job, so a worker on the same storage treats that storage as the truth.
/// </summary>
internal sealed record JobEnvelope(string JobId, string Queue, string JobPayload, DateTime CreatedAt, string Store)
{
    public const int CurrentVersion = 1;

    public byte[] ToUtf8()
    {
        var builder = new StringBuilder(JobPayload.Length + 160);
        using (var writer = new JsonTextWriter(new StringWriter(builder, CultureInfo.InvariantCulture)))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("v");
            writer.WriteValue(CurrentVersion);
            writer.WritePropertyName("jobId");
            writer.WriteValue(JobId);
            writer.WritePropertyName("queue");
            writer.WriteValue(Queue);
            writer.WritePropertyName("job");
            writer.WriteRawValue(JobPayload);
            writer.WritePropertyName("createdAt");
            writer.WriteValue(CreatedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            writer.WritePropertyName("store");
            writer.WriteValue(Store);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>Parses a verified body; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static JobEnvelope Parse(ReadOnlySpan<byte> utf8)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(utf8);
        }
        catch (DecoderFallbackException ex)
        {
            throw new FormatException("The message body is not valid UTF-8.", ex);
        }

        JObject root;
        try
        {
            using var reader = new JsonTextReader(new StringReader(text)) { MaxDepth = 32, DateParseHandling = DateParseHandling.None };
            root = JObject.Load(reader);
        }
        catch (JsonException ex)
        {
            throw new FormatException("The message body is not a JSON object: " + ex.Message, ex);
        }

        var version = root.Value<int?>("v");
        if (version != CurrentVersion)
        {
            throw new FormatException($"The message envelope version is {version?.ToString(CultureInfo.InvariantCulture) ?? "missing"}; this library reads version {CurrentVersion}.");
        }

        var job = root["job"] as JObject ?? throw new FormatException("The message envelope has no 'job' object.");
        var createdAt = DateTime.TryParse(Required(root, "createdAt"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : throw new FormatException("The message envelope's 'createdAt' is not a date.");

        return new JobEnvelope(
            Required(root, "jobId"),
            Required(root, "queue"),
            job.ToString(Formatting.None),
            createdAt,
            Required(root, "store"));
    }

    private static string Required(JObject root, string name)
        => root[name] is JValue { Type: JTokenType.String, Value: string { Length: > 0 } value }
            ? value
            : throw new FormatException($"The message envelope has no '{name}' string.");
}
