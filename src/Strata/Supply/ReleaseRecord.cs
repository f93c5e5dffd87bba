using System.Text.Json;
using Strata.IO;

namespace Strata.Supply;

/// <summary>One released image manifest: what it is (<see cref="Reference"/>: the registry's name for it), what it was made from and the tags this release wrote.</summary>
public sealed record ReleasedImage(string Name, string Reference, string Platform, string Digest, string Key, string ProofKey, string BaseDigest,
    string? ParentDigest, IReadOnlyList<string> Tags);

/// <summary>
/// artifacts/release.json: per image and platform, the manifest a release published and the tags it wrote
/// (the workflow signs these digests). Deleted when a release starts and written, atomically, only when
/// it finished: a release that failed half-way leaves no record claiming a pass.
/// </summary>
public sealed class ReleaseRecord(string path)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public string Path { get; } = path;

    public void Delete()
    {
        if (File.Exists(Path)) File.Delete(Path);
    }

    public void Write(IReadOnlyList<ReleasedImage> images) =>
        AtomicFile.WriteAllText(Path, JsonSerializer.Serialize(new { images }, Json) + "\n");

    public static IReadOnlyList<ReleasedImage> Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("images").Deserialize<List<ReleasedImage>>(Json) ?? [];
    }
}
