using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Oci;
using Strata.Registry;

namespace Strata.Supply;

/// <summary>An artefact whose subject is an image manifest, as the referrers index lists it.</summary>
public sealed record Referrer(Digest Digest, string? ArtifactType, long Size);

/// <summary>One layer of an artefact.</summary>
public sealed record ArtifactLayer(string MediaType, byte[] Content);

/// <summary>
/// OCI 1.1 artefacts attached to an image manifest through the distribution API: the artefact is an image
/// manifest with an <c>artifactType</c>, the empty config and a <c>subject</c> descriptor. Where the registry
/// has the referrers API it indexes the artefact itself; where it has not (a 404: distribution 2.8, GHCR)
/// the referrers tag schema of distribution-spec 1.1 applies: the tag <c>sha256-&lt;hex&gt;</c> holds an image
/// index of the referrers, which the client updates (read, add, push). Every step can be run again.
/// </summary>
public sealed class Referrers(IRegistry registry, ImageRepository repository)
{
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    public const string IndexType = "application/vnd.oci.image.index.v1+json";
    public const string EmptyType = "application/vnd.oci.empty.v1+json";
    private static readonly byte[] EmptyConfig = "{}"u8.ToArray();
    // Content-addressed reads are the same every time: an artefact read to judge it is not fetched again to list its packages.
    private readonly Dictionary<Digest, byte[]> _blobs = [];
    private bool? _hasApi; // whether the registry answers the referrers API; asked once
    private readonly ImageReference _repository = registry.Location.Reference(repository);

    private async Task<RegistryManifest?> FindReferrersAsync(Digest subject, CancellationToken ct)
    {
        if (_hasApi == false) return null;
        var index = await registry.FindReferrersAsync(_repository.WithDigest(subject), ct);
        _hasApi = index is not null;
        return index;
    }

    /// <summary>The referrers tag of a manifest digest: <c>sha256:HEX</c> becomes <c>sha256-HEX</c>.</summary>
    public static string TagOf(Digest digest) => digest.Value.Replace(':', '-');

    /// <summary>The manifests that name <paramref name="subject"/> as their subject (the API's answer, else the tag schema's index). Changes nothing.</summary>
    public async Task<IReadOnlyList<Referrer>> ListAsync(Digest subject, CancellationToken ct = default)
    {
        var index = await FindReferrersAsync(subject, ct) ?? await registry.FindManifestAsync(_repository.WithTag(TagOf(subject)), ct);
        return index is null ? [] : Parse(index.Body);
    }

    /// <summary>Reads an artefact's layers (null when its manifest is gone: the index names a deleted referrer).</summary>
    public async Task<IReadOnlyList<ArtifactLayer>?> ReadAsync(Referrer referrer, CancellationToken ct = default)
    {
        if (await registry.FindManifestAsync(_repository.WithDigest(referrer.Digest), ct) is not { } manifest) return null;
        var layers = new List<ArtifactLayer>();
        foreach (var layer in JsonNode.Parse(manifest.Body)?["layers"]?.AsArray() ?? [])
        {
            var digest = Digest.Parse(layer!["digest"]!.GetValue<string>());
            if (!_blobs.TryGetValue(digest, out var content))
            {
                if (await registry.FindBlobAsync(_repository, digest, ct) is not { } found) return null;
                content = _blobs[digest] = found;
            }
            layers.Add(new ArtifactLayer(layer["mediaType"]!.GetValue<string>(), content));
        }
        return layers;
    }

    /// <summary>
    /// Pushes an artefact of <paramref name="artifactType"/> with <paramref name="layers"/> whose subject is the
    /// manifest <paramref name="subject"/>, and indexes it (tag schema where there is no API). Returns its digest.
    /// </summary>
    public async Task<Digest> AttachAsync(Digest subject, string artifactType, IReadOnlyList<ArtifactLayer> layers,
        IReadOnlyDictionary<string, string> annotations, CancellationToken ct = default)
    {
        var target = await registry.FindManifestAsync(_repository.WithDigest(subject), ct)
            ?? throw new RegistryException($"{registry.Location}: {repository}@{subject} is not in the registry: push the image before attaching to it.");
        await registry.PushBlobAsync(_repository, EmptyConfig, ct);
        var layerDescriptors = new JsonArray();
        foreach (var layer in layers)
            layerDescriptors.Add(Descriptor(layer.MediaType, await registry.PushBlobAsync(_repository, layer.Content, ct), layer.Content.Length));
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["artifactType"] = artifactType,
            ["config"] = Descriptor(EmptyType, Digest.Of(EmptyConfig), EmptyConfig.Length),
            ["layers"] = layerDescriptors,
            ["subject"] = Descriptor(target.MediaType, target.Digest, target.Body.Length),
            ["annotations"] = new JsonObject(annotations.OrderBy(a => a.Key, StringComparer.Ordinal)
                .Select(a => KeyValuePair.Create(a.Key, (JsonNode?)JsonValue.Create(a.Value)))),
        };
        var body = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        var digest = await registry.PushManifestAsync(_repository.WithDigest(Digest.Of(body)), ManifestType, body, ct);
        if (await FindReferrersAsync(subject, ct) is null)
            await IndexAsync(subject, new Referrer(digest, artifactType, body.Length), ct);
        return digest;
    }

    /// <summary>The tag schema: adds the referrer to the index under sha256-HEX unless it is there (read, add, push).</summary>
    private async Task IndexAsync(Digest subject, Referrer referrer, CancellationToken ct)
    {
        var tag = TagOf(subject);
        var existing = await registry.FindManifestAsync(_repository.WithTag(tag), ct);
        var index = existing is null ? new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = IndexType, ["manifests"] = new JsonArray() }
            : JsonNode.Parse(existing.Body)!.AsObject();
        var manifests = index["manifests"]!.AsArray();
        // A referrer whose manifest was deleted leaves the index: the pushed index must name only manifests that exist.
        var kept = new JsonArray();
        foreach (var m in manifests.ToList())
        {
            var d = Digest.Parse(m!["digest"]!.GetValue<string>());
            if (d == referrer.Digest) return;
            if (await registry.FindManifestAsync(_repository.WithDigest(d), ct) is not null) kept.Add(m.DeepClone());
        }
        var entry = Descriptor(ManifestType, referrer.Digest, referrer.Size);
        entry["artifactType"] = referrer.ArtifactType;
        kept.Add(entry);
        index["manifests"] = kept;
        await registry.PushManifestAsync(_repository.WithTag(tag), IndexType, Encoding.UTF8.GetBytes(index.ToJsonString()), ct);
    }

    private static IReadOnlyList<Referrer> Parse(byte[] index)
    {
        using var doc = JsonDocument.Parse(index);
        if (!doc.RootElement.TryGetProperty("manifests", out var list)) return [];
        return list.EnumerateArray().Select(m => new Referrer(
            Digest.Parse(m.GetProperty("digest").GetString()!),
            m.TryGetProperty("artifactType", out var t) ? t.GetString() : null,
            m.TryGetProperty("size", out var s) ? s.GetInt64() : 0)).ToList();
    }

    /// <summary>An OCI descriptor: what a manifest or an index says of another manifest or a blob.</summary>
    public static JsonObject Descriptor(string mediaType, Digest digest, long size) =>
        new() { ["mediaType"] = mediaType, ["digest"] = digest.Value, ["size"] = size };
}
