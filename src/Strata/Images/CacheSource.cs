using System.Text.Json.Serialization;
using Strata.Oci;

namespace Strata.Images;

/// <summary>Where the previous version of a stage was found.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CacheOrigin>))]
public enum CacheOrigin
{
    /// <summary>The engine has it.</summary>
    [JsonStringEnumMemberName("local")] Local,
    /// <summary>Only the registry has it: pulled by digest before the build that uses it.</summary>
    [JsonStringEnumMemberName("registry")] Registry,
}

/// <summary>
/// The previous version of a core stage (the core under the image's moving tag, by its key), used as the
/// layer cache when the stage is built again: `--cache-from` for both builders, BuildKit through the
/// inline cache every core carries. A changed Dockerfile line then re-runs only the steps from it on,
/// also on a machine with no layer cache of its own.
/// </summary>
/// <param name="Image">The image to name in `--cache-from` (a key tag, or name@digest from the registry).</param>
/// <param name="Key">The previous version's full key.</param>
public sealed record CacheSource(ImageReference Image, string Key, CacheOrigin Origin)
{
    public string ShortKey => Key[..12];
    /// <summary>Compressed bytes a pull moves at most (registry only; 0 when local).</summary>
    public long Size { get; init; }
}

/// <summary>What the build of one stage used: its cache source (null: none) and the RUN/COPY/ADD steps the cache served.</summary>
public sealed record StageBuild(CacheSource? Cache, int CachedSteps);

/// <summary>Finds the previous version of a stage to build with, and makes it local (the engine's builders read only local images).</summary>
public interface ICacheSources
{
    /// <summary>The previous version of <paramref name="stage"/>, made local (pulled by digest when only the registry has it); null when there is none.</summary>
    Task<CacheSource?> PrepareAsync(ImagePlan image, Stage stage, CancellationToken ct = default);
}
