using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using Strata.Engine;

namespace Strata.Reproducible;

/// <summary>How one layer of two images differs: the files only one has, and those both have with other bytes or metadata.</summary>
public sealed record LayerDifference(int Index, string CreatedBy, IReadOnlyList<string> OnlyInFirst, IReadOnlyList<string> OnlyInSecond,
    IReadOnlyList<string> Changed)
{
    public bool Any => OnlyInFirst.Count + OnlyInSecond.Count + Changed.Count > 0;
}

/// <summary>
/// Compares two saved images layer by layer (by position), file by file: content (sha256), type, mode, owner, time,
/// link target and extended attributes. What a rebuild check prints when two digests differ, so the cause can be found.
/// </summary>
public static class LayerDiff
{
    public static async Task<IReadOnlyList<LayerDifference>> CompareAsync(string firstArchive, string secondArchive, CancellationToken ct)
    {
        var (first, second) = (await SavedImage.ReadAsync(firstArchive, ct), await SavedImage.ReadAsync(secondArchive, ct));
        var (a, b) = (await FingerprintsAsync(first, ct), await FingerprintsAsync(second, ct));
        var steps = Steps(first.Config);
        var differences = new List<LayerDifference>();
        for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            var x = i < a.Count ? a[i] : new Dictionary<string, FileState>();
            var y = i < b.Count ? b[i] : new Dictionary<string, FileState>();
            var difference = new LayerDifference(i, i < steps.Count ? steps[i] : "",
                x.Keys.Where(k => !y.ContainsKey(k)).Order(StringComparer.Ordinal).ToList(),
                y.Keys.Where(k => !x.ContainsKey(k)).Order(StringComparer.Ordinal).ToList(),
                x.Where(e => y.TryGetValue(e.Key, out var other) && other != e.Value).OrderBy(e => e.Key, StringComparer.Ordinal)
                    .Select(e => $"{e.Key} ({e.Value.DifferencesFrom(y[e.Key])})").ToList());
            if (difference.Any) differences.Add(difference);
        }
        return differences;
    }

    /// <summary>The differences as lines: per layer its step, then each file with '-' (first only), '+' (second only) or '~' (changed).</summary>
    public static IEnumerable<string> Describe(IReadOnlyList<LayerDifference> differences, int filesPerLayer = 50)
    {
        foreach (var d in differences)
        {
            yield return $"  layer {d.Index + 1}: {Shorten(d.CreatedBy)}";
            var lines = d.OnlyInFirst.Select(p => $"    - /{p}").Concat(d.OnlyInSecond.Select(p => $"    + /{p}"))
                .Concat(d.Changed.Select(p => $"    ~ /{p}")).ToList();
            foreach (var line in lines.Take(filesPerLayer)) yield return line;
            if (lines.Count > filesPerLayer) yield return $"    ... and {lines.Count - filesPerLayer} more";
        }
    }

    private static string Shorten(string step) => step.Length <= 120 ? step : step[..117] + "...";

    private static List<string> Steps(byte[] config)
    {
        using var doc = JsonDocument.Parse(config);
        return doc.RootElement.TryGetProperty("history", out var history)
            ? history.EnumerateArray().Where(h => !(h.TryGetProperty("empty_layer", out var e) && e.GetBoolean()))
                .Select(h => h.TryGetProperty("created_by", out var c) ? c.GetString() ?? "" : "").ToList()
            : [];
    }

    /// <summary>Per layer (bottom first), each path with one line describing it.</summary>
    private static async Task<List<Dictionary<string, FileState>>> FingerprintsAsync(SavedImage image, CancellationToken ct)
    {
        var byName = new Dictionary<string, Dictionary<string, FileState>>(StringComparer.Ordinal);
        await image.ForEachLayerAsync(async (name, layer) => byName[name] = await FingerprintAsync(layer, ct), ct);
        return image.Layers.Select(l => byName[l]).ToList();
    }

    public static async Task<Dictionary<string, FileState>> FingerprintAsync(Stream layer, CancellationToken ct)
    {
        var files = new Dictionary<string, FileState>(StringComparer.Ordinal);
        await using var tar = new TarReader(layer, leaveOpen: true);
        while (await ImageArchive.NextEntryAsync(tar, ct) is { } entry)
        {
            var hash = "";
            if (entry.DataStream is { } data)
                hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(data, ct));
            var xattrs = entry is PaxTarEntry pax
                ? string.Join(",", pax.ExtendedAttributes.Where(a => a.Key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))
                    .OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"))
                : "";
            files[LayerNormaliser.PathOf(entry.Name)] = new FileState((char)entry.EntryType, (int)entry.Mode, $"{entry.Uid}:{entry.Gid}",
                entry.ModificationTime.ToUnixTimeSeconds(), entry.Length, entry.LinkName ?? "", hash, xattrs);
        }
        return files;
    }
}

/// <summary>One layer entry as the comparison sees it.</summary>
public sealed record FileState(char Type, int Mode, string Owner, long Time, long Size, string Link, string Sha256, string Xattrs)
{
    /// <summary>What differs from <paramref name="other"/>: "content", "time", "mode", ...</summary>
    public string DifferencesFrom(FileState other)
    {
        var what = new List<string>();
        if (Type != other.Type) what.Add("type");
        if (Sha256 != other.Sha256 || Size != other.Size) what.Add("content");
        if (Time != other.Time) what.Add("time");
        if (Mode != other.Mode) what.Add("mode");
        if (Owner != other.Owner) what.Add("owner");
        if (Link != other.Link) what.Add("link");
        if (Xattrs != other.Xattrs) what.Add("xattrs");
        return string.Join(", ", what);
    }
}
