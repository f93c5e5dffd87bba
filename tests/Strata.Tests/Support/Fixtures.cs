using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Strata.Tests.Support;

/// <summary>Real GitHub payloads (Fixtures/github) and small real archives built by the tests.</summary>
public static class Fixtures
{
    public static string GitHub(string fileName) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "github", fileName));

    /// <summary>
    /// A release object shaped like the real API: the EnricoMi/PyGithub v1.55 payload (newer schema,
    /// with "immutable" and asset "digest") with tag, flags and assets replaced.
    /// </summary>
    public static JsonObject Release(string tag, bool prerelease = false, bool draft = false, params JsonObject[] assets)
    {
        var release = JsonNode.Parse(GitHub("EnricoMi__PyGithub__releases_tags_v1.55.json"))!.AsObject();
        var template = release["assets"]![0]!.ToJsonString();
        release["tag_name"] = tag;
        release["name"] = tag;
        release["prerelease"] = prerelease;
        release["draft"] = draft;
        release["html_url"] = "https://github.com/o/r/releases/tag/" + tag;
        var list = new JsonArray();
        foreach (var a in assets)
        {
            var asset = JsonNode.Parse(template)!.AsObject();
            foreach (var (k, v) in a) asset[k] = v?.DeepClone();
            list.Add(asset);
        }
        release["assets"] = list;
        return release;
    }

    public static JsonObject Asset(string name, string url, byte[]? content = null, bool digest = true) => new()
    {
        ["name"] = name,
        ["browser_download_url"] = url,
        ["size"] = content?.Length ?? 0,
        ["digest"] = digest && content is not null ? "sha256:" + Sha256(content) : null,
    };

    public static string Releases(params JsonObject[] releases) => new JsonArray(releases.Select(r => (JsonNode)r).ToArray()).ToJsonString();

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] TarGz(params (string Name, byte[] Content)[] files)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
            foreach (var (name, content) in files)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
        return output.ToArray();
    }

    public static byte[] Zip(params (string Name, byte[] Content)[] files)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, content) in files)
            {
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(content);
            }
        return output.ToArray();
    }

    /// <summary>
    /// helm's tools.yaml entry as the repository writes it (a tar.gz with a .sha256sum file beside
    /// it), downloaded from <paramref name="downloadBase"/>/helm/; indented as a list item of <c>tools:</c>.
    /// </summary>
    public static string HelmTool(string downloadBase, string range) => $$"""
          - name: helm
            repository: helm/helm
            range: "{{range}}"
            image: k8s
            asset: helm-v{version}-linux-{arch}.tar.gz
            url: {{downloadBase}}/helm/{asset}
            format: tar.gz
            binary: linux-{arch}/helm
            sha256: { sha256_url: "{url}.sha256sum" }
        """;
}
