using System.Text.Json.Serialization;

namespace Hangfire.ElasticSqs.Lambda;

/// <summary>
/// Source-generated (de)serialization of the event and the response: no reflection at the first invocation, which is
/// part of every cold start. Names are matched without regard to case, so an event serialized from another model of
/// it (PascalCase properties) reads as well.
/// </summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(LambdaSqsEvent))]
[JsonSerializable(typeof(LambdaBatchResponse))]
internal sealed partial class LambdaJsonContext : JsonSerializerContext;
