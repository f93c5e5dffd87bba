using System.Formats.Tar;
using System.Text.Json;

namespace Strata.Engine;

/// <summary>What one entry of a layer does to the filesystem: writes a file (of its size), deletes a path (a whiteout), or empties a folder (an opaque whiteout).</summary>
public enum LayerEntryKind { File, Whiteout, Opaque }

/// <summary>One entry of a layer's diff: a path (absolute, no trailing '/') and, for a file, its size.</summary>
public sealed record LayerEntry(string Path, long Size, LayerEntryKind Kind);

/// <summary>One filesystem layer of an image, bottom first: the step that made it (its config history's created_by) and its entries.</summary>
public sealed record ImageLayer(string CreatedBy, IReadOnlyList<LayerEntry> Entries)
{
    /// <summary>The bytes of the files it writes.</summary>
    public long Bytes => Entries.Where(e => e.Kind == LayerEntryKind.File).Sum(e => e.Size);
}

/// <summary>
/// Reads an image's layers from the archive the engine saves (`docker save`: layer tars, the config, manifest.json):
/// each layer's files and whiteouts, in order, named by the config's history. Only headers are read.
/// </summary>
public static class ImageLayersReader
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    private const long SmallBlob = 1 << 20;

    public static async Task<IReadOnlyList<ImageLayer>> ReadAsync(Stream saved, CancellationToken ct)
    {
        var layers = new Dictionary<string, List<LayerEntry>>(StringComparer.Ordinal);
        var json = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        await using var archive = new TarReader(saved);
        while (await ImageArchive.NextEntryAsync(archive, ct) is { } entry)
        {
            if (entry.DataStream is null) continue;
            if (entry.Name.EndsWith("/layer.tar", StringComparison.Ordinal) || (entry.Name.StartsWith("blobs/", StringComparison.Ordinal) && entry.Length > SmallBlob))
            {
                layers[entry.Name] = await EntriesAsync(entry.DataStream, ct); // streamed: only the headers are parsed
            }
            else if (entry.Name.StartsWith("blobs/", StringComparison.Ordinal))
            {
                // A small blob (OCI layout, engines 25+) is a config, a manifest or a small layer: JSON starts with '{'.
                using var content = new MemoryStream();
                await entry.DataStream.CopyToAsync(content, ct);
                if (content.Length > 0 && content.GetBuffer()[0] == (byte)'{') json[entry.Name] = content.ToArray();
                else layers[entry.Name] = await EntriesAsync(new MemoryStream(content.ToArray()), ct);
            }
            else if (entry.Name.EndsWith(".json", StringComparison.Ordinal))
            {
                using var content = new MemoryStream();
                await entry.DataStream.CopyToAsync(content, ct);
                json[entry.Name] = content.ToArray();
            }
        }
        using var manifest = JsonDocument.Parse(json["manifest.json"]);
        var first = manifest.RootElement[0];
        var order = first.GetProperty("Layers").EnumerateArray().Select(l => l.GetString()!).ToList();
        using var config = JsonDocument.Parse(json[first.GetProperty("Config").GetString()!]);
        return Named(config.RootElement, order.Select(name => layers.GetValueOrDefault(name) ?? []).ToList());
    }

    /// <summary>Layers' entries, bottom first, named by the steps of the image's config (its history without empty layers).</summary>
    internal static IReadOnlyList<ImageLayer> Named(JsonElement config, IReadOnlyList<IReadOnlyList<LayerEntry>> entries)
    {
        var steps = config.TryGetProperty("history", out var history)
            ? history.EnumerateArray().Where(h => !(h.TryGetProperty("empty_layer", out var e) && e.GetBoolean()))
                .Select(h => h.TryGetProperty("created_by", out var c) ? c.GetString() ?? "" : "").ToList()
            : [];
        return entries.Select((layer, i) => new ImageLayer(i < steps.Count ? steps[i] : "", layer)).ToList();
    }

    private static async Task<List<LayerEntry>> EntriesAsync(Stream layer, CancellationToken ct)
    {
        var entries = new List<LayerEntry>();
        var linkedTo = new Dictionary<string, string>(StringComparer.Ordinal); // a hard link's path -> the file's
        await using var tar = new TarReader(layer, leaveOpen: true); // the saved archive goes on after this layer
        while (await ImageArchive.NextEntryAsync(tar, ct) is { } entry)
        {
            var path = PathOf(entry.Name);
            var slash = path.LastIndexOf('/');
            var (folder, name) = (path[..slash], path[(slash + 1)..]);
            if (name == OpaqueMarker) entries.Add(new LayerEntry(folder.Length == 0 ? "/" : folder, 0, LayerEntryKind.Opaque));
            else if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal)) entries.Add(new LayerEntry(folder + "/" + name[WhiteoutPrefix.Length..], 0, LayerEntryKind.Whiteout));
            else if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile) entries.Add(new LayerEntry(path, entry.Length, LayerEntryKind.File));
            else if (entry.EntryType == TarEntryType.HardLink) linkedTo[path] = PathOf(entry.LinkName);
        }
        // A hard-linked file counts once, under the first of its paths in byte order (the tar's own order is the
        // order of whoever wrote it first): the same path the engine's layer folders give (LayerFolderReader).
        foreach (var group in linkedTo.GroupBy(l => l.Value, l => l.Key))
        {
            var first = group.Append(group.Key).Min(StringComparer.Ordinal)!;
            var file = entries.FindIndex(e => e.Kind == LayerEntryKind.File && e.Path == group.Key);
            if (file >= 0 && first != group.Key) entries[file] = entries[file] with { Path = first };
        }
        return entries;
    }

    /// <summary>An entry's absolute path: "./" and slashes trimmed (never a whiteout's dot).</summary>
    private static string PathOf(string name) => "/" + (name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name).TrimStart('/').TrimEnd('/');
}
