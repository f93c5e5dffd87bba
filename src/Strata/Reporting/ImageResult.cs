using System.Text.Json.Serialization;

namespace Strata.Reporting;

/// <summary>What happened to one image in a run: the rows of the summary and of build-report.json.</summary>
public sealed record ImageResult(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("tag")] string Tag,
    [property: JsonPropertyName("image_id")] string ImageId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("size_bytes")] long SizeBytes)
{
    public const string Built = "built";
    public const string Reused = "reused";
}

/// <summary>One row of plan.json: what a run would do, computed without building.</summary>
public sealed record PlannedImage(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("parent")] string? Parent,
    [property: JsonPropertyName("status")] string Status)
{
    public const string Build = "build";
    public const string Reuse = "reuse";
}
