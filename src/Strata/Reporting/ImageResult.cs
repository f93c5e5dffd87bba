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

/// <summary>What happened to one image in a run: the rows of the summary and of build-report.json.</summary>
public sealed record ImageResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("tag")] string Tag,
    [property: JsonPropertyName("image_id")] string ImageId,
    [property: JsonPropertyName("status")] ImageStatus Status,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("size_bytes")] long SizeBytes);

/// <summary>One row of plan.json: what a run would do, computed without building.</summary>
public sealed record PlannedImage(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("parent")] string? Parent,
    [property: JsonPropertyName("status")] PlanAction Status);
