using System.Text.Json;
using Strata.IO;

namespace Strata.Supply;

/// <summary>One released image manifest (one platform's): what it is (<see cref="Reference"/>: the registry's name for it), what it was made from and its key tag.</summary>
public sealed record ReleasedImage(string Name, string Reference, string Platform, string Digest, string Key, string ProofKey, string BaseDigest,
    string? ParentDigest, IReadOnlyList<string> Tags);

/// <summary>A moving tag made an OCI image index: its digest (what the workflow signs), the tags, the platforms it lists.</summary>
public sealed record ReleasedIndex(string Name, string Reference, string Digest, IReadOnlyList<string> Tags, IReadOnlyList<string> Platforms);

/// <summary>
/// artifacts/release.json: per image and platform, the manifest a release published and the tags it wrote
/// and the indexes the moving tags became (the workflow signs those digests). Deleted when a release starts and written, atomically, only when
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

    public void Write(IReadOnlyList<ReleasedImage> images, IReadOnlyList<ReleasedIndex> indexes) =>
        AtomicFile.WriteAllText(Path, JsonSerializer.Serialize(new { images, indexes }, Json) + "\n");

    public static IReadOnlyList<ReleasedImage> Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("images").Deserialize<List<ReleasedImage>>(Json) ?? [];
    }

    public static IReadOnlyList<ReleasedIndex> ReadIndexes(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("indexes").Deserialize<List<ReleasedIndex>>(Json) ?? [];
    }
}
