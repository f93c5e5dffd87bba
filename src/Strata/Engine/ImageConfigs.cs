using System.Formats.Tar;
using System.Text.Json.Nodes;
using Strata.Oci;

namespace Strata.Engine;

/// <summary>Edits the image configs in a <c>docker save</c> archive (the archive <c>docker load</c> reads back).</summary>
public static class ImageConfigs
{
    /// <summary>
    /// Copies the archive, setting <c>os</c>, <c>architecture</c> and <c>variant</c> in every image config its manifest.json names;
    /// the layers are copied as they are. The engine gives the loaded image the new config's digest as its id.
    /// </summary>
    public static async Task SetPlatformAsync(Stream savedArchive, Stream output, Platform platform, CancellationToken ct)
    {
        // The configs are named in manifest.json, which may come after them: read the (small) entries into memory, stream the layers.
        var entries = new List<(TarEntry Entry, byte[]? Data)>();
        await using (var reader = new TarReader(savedArchive))
        {
            while (await reader.GetNextEntryAsync(copyData: true, ct) is { } entry)
            {
                byte[]? data = null;
                if (entry.DataStream is { } stream)
                {
                    using var copy = new MemoryStream();
                    await stream.CopyToAsync(copy, ct);
                    data = copy.ToArray();
                }
                entries.Add((entry, data));
            }
        }
        var manifest = entries.FirstOrDefault(e => e.Entry.Name == "manifest.json").Data
            ?? throw new EngineException("the saved image has no manifest.json");
        var configs = JsonNode.Parse(manifest)!.AsArray().Select(m => m!["Config"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);

        await using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var (entry, data) in entries)
        {
            var bytes = data;
            if (data is not null && configs.Contains(entry.Name))
            {
                var config = JsonNode.Parse(data)!.AsObject();
                config["os"] = platform.Os;
                config["architecture"] = platform.Architecture;
                if (platform.Variant is { } variant) config["variant"] = variant;
                else config.Remove("variant");
                bytes = System.Text.Encoding.UTF8.GetBytes(config.ToJsonString());
            }
            var copy = new PaxTarEntry(entry.EntryType, entry.Name) { Mode = entry.Mode, ModificationTime = entry.ModificationTime };
            if (entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink) copy.LinkName = entry.LinkName;
            if (bytes is not null) copy.DataStream = new MemoryStream(bytes);
            await writer.WriteEntryAsync(copy, ct);
        }
    }
}
