using System.Text.Json;

namespace Strata.Oci;

/// <summary>A blob as a manifest names it: what it is, its digest, its size in bytes.</summary>
public sealed record BlobDescriptor(string MediaType, Digest Digest, long Size);

/// <summary>
/// An OCI image manifest (a config and gzip layers), assembled as bytes that depend only on its blobs: the same config
/// and layers give the same manifest digest, whoever assembles it. OCI rather than Docker's schema 2: the indexes of
/// the moving tags (<see cref="ImageIndex"/>) and the referrers Strata attaches are OCI already, and every reader the
/// chain meets (the engine's pull, skopeo, the registries) takes it.
/// </summary>
public static class ImageManifest
{
    public const string MediaType = "application/vnd.oci.image.manifest.v1+json";
    public const string ConfigType = "application/vnd.oci.image.config.v1+json";
    public const string GzipLayerType = "application/vnd.oci.image.layer.v1.tar+gzip";

    public static byte[] Assemble(BlobDescriptor config, IReadOnlyList<BlobDescriptor> layers)
    {
        if (config.MediaType != ConfigType)
            throw new ArgumentException($"the config {config.Digest} is {config.MediaType}, not {ConfigType}", nameof(config));
        if (layers.Count == 0) throw new ArgumentException("an image manifest names at least one layer", nameof(layers));
        if (layers.FirstOrDefault(l => l.MediaType != GzipLayerType) is { } other)
            throw new ArgumentException($"the layer {other.Digest} is {other.MediaType}, not {GzipLayerType}", nameof(layers));

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", MediaType);
            Write(json, "config", config);
            json.WriteStartArray("layers");
            foreach (var layer in layers) Write(json, null, layer);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void Write(Utf8JsonWriter json, string? name, BlobDescriptor blob)
    {
        if (name is null) json.WriteStartObject(); else json.WriteStartObject(name);
        json.WriteString("mediaType", blob.MediaType);
        json.WriteString("digest", blob.Digest.ToString());
        json.WriteNumber("size", blob.Size);
        json.WriteEndObject();
    }
}
