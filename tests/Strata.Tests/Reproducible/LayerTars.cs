using System.Formats.Tar;
using System.Text;

namespace Strata.Tests.Reproducible;

/// <summary>Layer tars and saved images for the normaliser's tests, written as engines write them (PAX, user names, times).</summary>
internal static class LayerTars
{
    public sealed record Entry(string Name, string Content = "", DateTimeOffset? Modified = null, TarEntryType Type = TarEntryType.RegularFile,
        string? Link = null, IReadOnlyDictionary<string, string>? Xattrs = null);

    public static byte[] Layer(params Entry[] files)
    {
        using var output = new MemoryStream();
        using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var f in files)
            {
                var attributes = new Dictionary<string, string> { ["atime"] = "1765000000.5", ["ctime"] = "1765000001.25" };
                foreach (var (k, v) in f.Xattrs ?? new Dictionary<string, string>()) attributes[k] = v;
                var entry = new PaxTarEntry(f.Type, f.Name, attributes)
                {
                    ModificationTime = f.Modified ?? DateTimeOffset.UtcNow,
                    Mode = f.Type == TarEntryType.Directory ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100,
                    UserName = Environment.UserName, GroupName = "builder", Uid = 0, Gid = 0,
                };
                if (f.Link is not null) entry.LinkName = f.Link;
                if (f.Type == TarEntryType.RegularFile) entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(f.Content));
                tar.WriteEntry(entry);
            }
        return output.ToArray();
    }

    /// <summary>A `docker save` archive of engine 20.10's shape: ID/layer.tar per layer, the config, manifest.json.</summary>
    public static byte[] Saved(string config, params byte[][] layers)
    {
        using var output = new MemoryStream();
        using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            var names = layers.Select((_, i) => $"{i:x64}/layer.tar").ToList();
            for (var i = 0; i < layers.Length; i++)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, names[i]) { DataStream = new MemoryStream(layers[i]) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "c0ffee.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(config)) });
            var manifest = $$"""[{"Config":"c0ffee.json","RepoTags":["x/y:z"],"Layers":[{{string.Join(",", names.Select(n => $"\"{n}\""))}}]}]""";
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(manifest)) });
        }
        return output.ToArray();
    }

    /// <summary>An image config as the classic builder writes one, at <paramref name="when"/> in container <paramref name="container"/>.</summary>
    public static string Config(string when, string container, int layers)
    {
        var history = new System.Text.Json.Nodes.JsonArray(Enumerable.Range(0, layers)
            .Select(i => (System.Text.Json.Nodes.JsonNode)new System.Text.Json.Nodes.JsonObject { ["created"] = when, ["created_by"] = $"/bin/sh -c step {i}" })
            .ToArray());
        return new System.Text.Json.Nodes.JsonObject
        {
            ["architecture"] = "amd64",
            ["config"] = new System.Text.Json.Nodes.JsonObject
            {
                ["Hostname"] = container,
                ["Labels"] = new System.Text.Json.Nodes.JsonObject { ["dev.strata.key"] = "k", ["org.opencontainers.image.revision"] = container },
            },
            ["container"] = container,
            ["container_config"] = new System.Text.Json.Nodes.JsonObject { ["Hostname"] = container },
            ["created"] = when,
            ["docker_version"] = "20.10.24",
            ["history"] = history,
            ["os"] = "linux",
            ["rootfs"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "layers", ["diff_ids"] = new System.Text.Json.Nodes.JsonArray() },
            ["moby.buildkit.cache.v0"] = container,
        }.ToJsonString();
    }
}
