using System.Formats.Tar;
using System.Text.Json;
using Strata.Engine;

namespace Strata.Reproducible;

/// <summary>
/// The image of a `docker save` archive (engine 20.10: "ID/layer.tar", "CONFIG.json", manifest.json; newer engines'
/// OCI layout too): its config, and its layers' names in the archive, bottom first. Read from a file, whose entries
/// are then read again by name.
/// </summary>
public sealed record SavedImage(string ArchivePath, byte[] Config, IReadOnlyList<string> Layers, IReadOnlyList<string> RepoTags)
{
    private const long SmallEntry = 4 << 20;

    public static async Task<SavedImage> ReadAsync(string archivePath, CancellationToken ct)
    {
        var small = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var file = File.OpenRead(archivePath))
        await using (var tar = new TarReader(file))
            while (await ImageArchive.NextEntryAsync(tar, ct) is { } entry)
            {
                var name = Clean(entry.Name);
                if (entry.EntryType == TarEntryType.SymbolicLink)
                    links[name] = Resolve(name, entry.LinkName);
                else if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.Length < SmallEntry &&
                         (name.EndsWith(".json", StringComparison.Ordinal) || name.StartsWith("blobs/", StringComparison.Ordinal)))
                {
                    using var content = new MemoryStream();
                    if (entry.DataStream is { } data) await data.CopyToAsync(content, ct);
                    small[name] = content.ToArray();
                }
            }
        string Follow(string name) => links.TryGetValue(name, out var target) ? Follow(target) : name;
        using var manifest = JsonDocument.Parse(small.GetValueOrDefault("manifest.json")
            ?? throw new InvalidDataException($"{archivePath} is not a saved image: no manifest.json."));
        var first = manifest.RootElement[0];
        var config = Follow(Clean(first.GetProperty("Config").GetString()!));
        var layers = first.GetProperty("Layers").EnumerateArray().Select(l => Follow(Clean(l.GetString()!))).ToList();
        var tags = first.TryGetProperty("RepoTags", out var t) && t.ValueKind == JsonValueKind.Array
            ? t.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
        return new SavedImage(archivePath, small[config], layers, tags);
    }

    /// <summary>Calls <paramref name="read"/> with each layer's tar, bottom first (a layer named twice is read once).</summary>
    public async Task ForEachLayerAsync(Func<string, Stream, Task> read, CancellationToken ct)
    {
        var wanted = Layers.ToHashSet(StringComparer.Ordinal);
        await using var file = File.OpenRead(ArchivePath);
        await using var tar = new TarReader(file);
        while (await ImageArchive.NextEntryAsync(tar, ct) is { } entry)
        {
            var name = Clean(entry.Name);
            if (!wanted.Remove(name) || entry.DataStream is not { } data) continue;
            await read(name, data);
        }
        if (wanted.Count > 0) throw new InvalidDataException($"{ArchivePath} lacks the layers {string.Join(", ", wanted)}.");
    }

    private static string Clean(string name) => name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name;

    private static string Resolve(string linkName, string target)
    {
        if (target.StartsWith('/')) return target.TrimStart('/');
        var parts = linkName.Split('/').SkipLast(1).ToList();
        foreach (var part in target.Split('/'))
        {
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else if (part is not ("." or "")) parts.Add(part);
        }
        return string.Join('/', parts);
    }
}
