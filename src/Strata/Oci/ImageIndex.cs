using System.Text.Json;

namespace Strata.Oci;

/// <summary>One platform's image manifest as an index lists it: what it is (media type), its digest and size, and its platform.</summary>
public sealed record PlatformManifest(Platform Platform, string MediaType, Digest Digest, long Size);

/// <summary>
/// The OCI image index behind a multi-platform tag: one entry per platform, each an image manifest already in the registry.
/// Assembled as bytes that depend only on the entries (their order as given), so the same per-platform images give the
/// same index digest, and a release that changed nothing finds its index already there.
/// </summary>
public static class ImageIndex
{
    public const string MediaType = "application/vnd.oci.image.index.v1+json";

    private static readonly string[] IndexTypes = [MediaType, "application/vnd.docker.distribution.manifest.list.v2+json"];

    public static byte[] Assemble(IReadOnlyList<PlatformManifest> manifests)
    {
        if (manifests.Count == 0) throw new ArgumentException("an image index needs at least one platform's manifest", nameof(manifests));
        if (manifests.GroupBy(m => m.Platform).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"{twice.Key} is listed twice ({string.Join(", ", twice.Select(m => m.Digest))}); an index has one image per platform");
        if (manifests.FirstOrDefault(m => IndexTypes.Contains(m.MediaType)) is { } nested)
            throw new ArgumentException($"{nested.Digest} for {nested.Platform} is itself an index ({nested.MediaType}); list image manifests only");
        if (manifests.FirstOrDefault(m => !m.Digest.Value.StartsWith("sha256:", StringComparison.Ordinal) || m.Digest.Value.Length != 71) is { } bad)
            throw new ArgumentException($"'{bad.Digest}' for {bad.Platform} is not a sha256 digest");

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", MediaType);
            json.WriteStartArray("manifests");
            foreach (var m in manifests)
            {
                json.WriteStartObject();
                json.WriteString("mediaType", m.MediaType);
                json.WriteString("digest", m.Digest.Value);
                json.WriteNumber("size", m.Size);
                json.WriteStartObject("platform");
                json.WriteString("architecture", m.Platform.Architecture);
                json.WriteString("os", m.Platform.Os);
                if (m.Platform.Variant is { } variant) json.WriteString("variant", variant);
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The entries of an index (OCI, or Docker's manifest list); a manifest of another kind has none.</summary>
    public static IReadOnlyList<PlatformManifest> Read(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        if (!doc.RootElement.TryGetProperty("manifests", out var list)) return [];
        return list.EnumerateArray().Where(m => m.TryGetProperty("platform", out _)).Select(m =>
        {
            var p = m.GetProperty("platform");
            return new PlatformManifest(
                new Platform(p.GetProperty("os").GetString()!, p.GetProperty("architecture").GetString()!,
                    p.TryGetProperty("variant", out var v) ? v.GetString() : null),
                m.GetProperty("mediaType").GetString()!, Digest.Parse(m.GetProperty("digest").GetString()!), m.GetProperty("size").GetInt64());
        }).ToList();
    }
}
