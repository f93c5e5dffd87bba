using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;

namespace Strata.Reproducible;

/// <summary>What normalising a saved image made: the new image id (the config's digest), its diff ids, and what was left out.</summary>
public sealed record NormalisedImage(string Id, IReadOnlyList<string> DiffIds, IReadOnlyList<string> Dropped, IReadOnlyList<string> Rewritten);

/// <summary>
/// A `docker save` archive made reproducible: every layer through <see cref="LayerNormaliser"/>, the config through
/// <see cref="ImageConfigNormaliser"/>, written as an archive `docker load` takes, tagged <c>tags</c>.
/// </summary>
public static class SavedImageNormaliser
{
    public static async Task<NormalisedImage> NormaliseAsync(string savedPath, IReadOnlyList<string> tags, Stream output, string workDirectory,
        CancellationToken ct)
    {
        var saved = await SavedImage.ReadAsync(savedPath, ct);
        var byName = new Dictionary<string, (string File, NormalisedLayer Layer)>(StringComparer.Ordinal);
        await saved.ForEachLayerAsync(async (name, layer) =>
        {
            var file = Path.Combine(workDirectory, $"layer-{byName.Count}.tar");
            await using var to = File.Create(file);
            byName[name] = (file, await LayerNormaliser.NormaliseAsync(layer, to, ct));
        }, ct);
        var diffIds = saved.Layers.Select(l => byName[l].Layer.DiffId).ToList();
        var config = ImageConfigNormaliser.Normalise(saved.Config, diffIds);
        var id = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(config));

        await using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (file, layer) in saved.Layers.Select(l => byName[l]))
        {
            if (!written.Add(layer.DiffId)) continue;
            await tar.WriteEntryAsync(file, Hex(layer.DiffId) + "/layer.tar", ct);
        }
        await WriteAsync(tar, Hex(id) + ".json", config, ct);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new[]
        {
            new Dictionary<string, object>
            {
                ["Config"] = Hex(id) + ".json",
                ["RepoTags"] = tags,
                ["Layers"] = diffIds.Select(d => Hex(d) + "/layer.tar").ToList(),
            },
        });
        await WriteAsync(tar, "manifest.json", manifest, ct);
        return new NormalisedImage(id, diffIds, byName.Values.SelectMany(v => v.Layer.Dropped).ToList(),
            byName.Values.SelectMany(v => v.Layer.Rewritten).ToList());
    }

    private static string Hex(string digest) => digest["sha256:".Length..];

    private static async Task WriteAsync(TarWriter tar, string name, byte[] content, CancellationToken ct) =>
        await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(content), Mode = (UnixFileMode)0b110_100_100,
        }, ct);
}
