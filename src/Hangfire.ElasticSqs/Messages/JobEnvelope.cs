using System.Globalization;
using System.Text;
using System.Text.Json;
using Formatting = Newtonsoft.Json.Formatting;
using JsonTextWriter = Newtonsoft.Json.JsonTextWriter;

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
    /// <remarks>
    /// Runs once per delivery on the worker, so it reads the UTF-8 bytes in place with <see cref="Utf8JsonReader"/>: a
    /// Newtonsoft DOM (decode to a string, build a JObject, re-serialize <c>job</c>) costs several times as much per
    /// delivery, as much as the rest of the endpoint's own work (figures in docs/performance.md). <c>job</c> is kept as the exact bytes the
    /// sender wrote. Duplicate properties: the last one wins, as with <c>JObject.Load</c>; unlike it, content after the
    /// object is refused (a signer never writes any).
    /// </remarks>
    public static JobEnvelope Parse(ReadOnlySpan<byte> utf8)
    {
        // Checked up front, over the whole body: the reader only validates what it decodes, and the job payload is
        // kept as raw bytes.
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw new FormatException("The message body is not valid UTF-8.");
        }

        Fields fields;
        try
        {
            fields = ReadFields(utf8);
        }
        catch (JsonException ex)
        {
            throw new FormatException("The message body is not a JSON object: " + ex.Message, ex);
        }

        if (fields.Version != CurrentVersion)
        {
            throw new FormatException($"The message envelope version is {fields.Version?.ToString(CultureInfo.InvariantCulture) ?? "missing"}; this library reads version {CurrentVersion}.");
        }

        var job = fields.Job ?? throw new FormatException("The message envelope has no 'job' object.");
        var createdAt = TryParseCreatedAt(Required(fields.CreatedAt, "createdAt"), out var parsed)
            ? parsed
            : throw new FormatException("The message envelope's 'createdAt' is not a date.");

        return new JobEnvelope(
            Required(fields.JobId, "jobId"),
            Required(fields.Queue, "queue"),
            job,
            createdAt,
            Required(fields.Store, "store"));
    }

    // The root object's properties this library reads; anything else is skipped. A property of the wrong JSON type
    // reads as absent, so the checks in Parse name it.
    private static Fields ReadFields(ReadOnlySpan<byte> utf8)
    {
        // As lenient as Newtonsoft's reader (comments, trailing commas), with its depth limit, so no envelope it accepted is refused.
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            MaxDepth = 32,
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException("The message body is not a JSON object.");
        }

        var fields = default(Fields);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // ValueTextEquals compares the name unescaped, without allocating it.
            var property = reader.ValueTextEquals("v"u8) ? 0
                : reader.ValueTextEquals("job"u8) ? 1
                : reader.ValueTextEquals("jobId"u8) ? 2
                : reader.ValueTextEquals("queue"u8) ? 3
                : reader.ValueTextEquals("createdAt"u8) ? 4
                : reader.ValueTextEquals("store"u8) ? 5
                : -1;
            reader.Read();
            switch (property)
            {
                case 0:
                    fields.Version = ReadVersion(ref reader);
                    break;
                case 1 when reader.TokenType == JsonTokenType.StartObject:
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    fields.Job = Encoding.UTF8.GetString(utf8[start..(int)reader.BytesConsumed]);
                    break;
                case 1:
                    fields.Job = null;
                    reader.Skip();
                    break;
                case 2:
                    fields.JobId = StringOrNull(ref reader);
                    break;
                case 3:
                    fields.Queue = StringOrNull(ref reader);
                    break;
                case 4:
                    fields.CreatedAt = StringOrNull(ref reader);
                    break;
                case 5:
                    fields.Store = StringOrNull(ref reader);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        // Nothing but whitespace or comments may follow the object (the reader throws on anything else).
        if (reader.Read())
        {
            throw new FormatException("The message body is not a JSON object: content follows the envelope.");
        }

        return fields;
    }

    private static int? ReadVersion(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetInt32(out var number):
                return number;
            case JsonTokenType.String when int.TryParse(reader.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var text):
                return text; // JToken.Value<int?> converted a numeric string too.
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                reader.Skip();
                return null;
            default:
                return null;
        }
    }

    private static string? StringOrNull(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }

        reader.Skip();
        return null;
    }

    // Any invariant date, taken as UTC when it has no offset (the sender writes the round-trip "O" form in UTC).
    // TryParse alone: on that form it is faster than trying TryParseExact("O") first (docs/performance.md).
    private static bool TryParseCreatedAt(string value, out DateTime parsed)
        => DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out parsed);

    private static string Required(string? value, string name)
        => value is { Length: > 0 } ? value : throw new FormatException($"The message envelope has no '{name}' string.");

    private struct Fields
    {
        public int? Version;
        public string? Job;
        public string? JobId;
        public string? Queue;
        public string? CreatedAt;
        public string? Store;
    }
}
