using System.Text.Json.Serialization;

namespace Strata.Reporting;

/// <summary>What a run did with an image (written in lower case in the reports).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ImageStatus>))]
public enum ImageStatus
{
    /// <summary>At least one of its stages was built in this run.</summary>
    [JsonStringEnumMemberName("built")] Built,
    /// <summary>Every stage existed under its key: nothing was built.</summary>
    [JsonStringEnumMemberName("reused")] Reused,
}

/// <summary>What a run would do with an image, decided without building.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PlanAction>))]
public enum PlanAction
{
    [JsonStringEnumMemberName("build")] Build,
    [JsonStringEnumMemberName("reuse")] Reuse,
}

/// <summary>Where a stage's image came from in a run (in a plan: where it would come from).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StageSource>))]
public enum StageSource
{
    /// <summary>The engine had it under its key.</summary>
    [JsonStringEnumMemberName("local")] Local,
    /// <summary>The registry had it under its key (pulled only when something needed it here).</summary>
    [JsonStringEnumMemberName("registry")] Registry,
    /// <summary>Built in this run (in a plan: would be built).</summary>
    [JsonStringEnumMemberName("built")] Built,
}

/// <summary>One stage (core or published) of an image in a report.</summary>
public sealed record StageReport(
    [property: JsonPropertyName("stage")] string Stage,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("tag")] string Tag,
    [property: JsonPropertyName("source")] StageSource Source)
{
    /// <summary>The previous version used as layer cache (a plan: that would be used); a key tag, or name@digest when pulled from the registry. Null: none.</summary>
    [JsonPropertyName("cache_from")] public string? CacheFrom { get; init; }
    /// <summary>The RUN/COPY/ADD steps the builder's cache served when the stage was built in this run; null when it was not built.</summary>
    [JsonPropertyName("cached_steps")] public int? CachedSteps { get; init; }
}

/// <summary>What happened to one image in a run: the rows of the summary and of build-report.json.</summary>
public sealed record ImageResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("tag")] string Tag,
    [property: JsonPropertyName("image_id")] string ImageId,
    [property: JsonPropertyName("status")] ImageStatus Status,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("size_bytes")] long SizeBytes)
{
    /// <summary>The platform this result is for (an image has one result per platform the run built).</summary>
    [JsonPropertyName("platform")] public string Platform { get; init; } = "";
    [JsonPropertyName("stages")] public IReadOnlyList<StageReport> Stages { get; init; } = [];
    /// <summary>Compressed layer bytes pulled from the registry for this image in this run.</summary>
    [JsonPropertyName("bytes_pulled")] public long BytesPulled { get; init; }
    /// <summary>Compressed layer bytes pushed to the registry for this image in this run (layers new to it).</summary>
    [JsonPropertyName("bytes_pushed")] public long BytesPushed { get; init; }
    /// <summary>Why it was built: what moved its key against the plan history (null when reused).</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }
    /// <summary>Its layers, bottom first (measured when built in this run; null otherwise).</summary>
    [JsonPropertyName("layers")] public IReadOnlyList<LayerReport>? Layers { get; init; }
    /// <summary>Bytes written in one layer and deleted or overwritten in a later one (measured with <see cref="Layers"/>).</summary>
    [JsonPropertyName("wasted_bytes")] public long? WastedBytes { get; init; }
}

/// <summary>One layer in the build report: the step that made it, its bytes, and those a later layer deletes or overwrites.</summary>
public sealed record LayerReport(
    [property: JsonPropertyName("created_by")] string CreatedBy,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("wasted_bytes")] long WastedBytes);

/// <summary>One row of plan.json: what a run would do, computed without building.</summary>
public sealed record PlannedImage(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("parent")] string? Parent,
    [property: JsonPropertyName("status")] PlanAction Status)
{
    [JsonPropertyName("platform")] public string Platform { get; init; } = "";
    [JsonPropertyName("stages")] public IReadOnlyList<StageReport> Stages { get; init; } = [];
    /// <summary>Why it would be built: what moved its key against the plan history (null when reused).</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }
}
