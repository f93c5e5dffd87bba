using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Oci;
using Strata.Registry;
using Strata.Smoke;

namespace Strata.Supply;

/// <summary>
/// Vault proofs in the registry, so a vault proven on any machine is not proven again on another: each an OCI 1.1 artefact
/// (an image manifest with <see cref="ArtifactType"/>, the empty config and the record as its one layer) under the tag
/// <c>vault-proof-&lt;proof key&gt;</c> in the chain's repository. By tag rather than as a referrer of the image that ran it:
/// the lookup knows only the proof key (the image's vault fingerprint), not which image was proven with that fingerprint
/// before, and a referrer is found only from its subject's digest; a tag is one request.
/// </summary>
public sealed class RegistryVaultProofs(IRegistry registry, ImageRepository repository) : IVaultProofStore
{
    public const string ArtifactType = "application/vnd.dev.strata.vault-proof.v1+json";
    public const string TagPrefix = "vault-proof-";
    private readonly Oci.ImageReference _repository = registry.Location.Reference(repository);

    public string Where => $"the registry ({registry.Location.ImageName(repository)})";

    public static string TagOf(string key) => TagPrefix + key;

    public async Task<VaultProofLookup> FindAsync(string key, CancellationToken ct)
    {
        var tag = TagOf(key);
        if (await registry.FindManifestAsync(_repository.WithTag(tag), ct) is not { } manifest) return VaultProofLookup.None;
        try
        {
            var root = JsonNode.Parse(manifest.Body) ?? throw new FormatException("an empty manifest");
            if (root["artifactType"]?.GetValue<string>() != ArtifactType)
                throw new FormatException($"its manifest is not a {ArtifactType} artefact");
            var layer = root["layers"]?.AsArray().SingleOrDefault() ?? throw new FormatException("its manifest has not exactly one layer");
            var digest = Digest.Parse(layer["digest"]?.GetValue<string>() ?? throw new FormatException("its layer names no digest"));
            var blob = await registry.FindBlobAsync(_repository, digest, ct) ?? throw new FormatException($"its layer {digest} is not in the registry");
            var proof = VaultProof.Read(blob);
            return proof.Problem(key, keyRequired: true) is { } problem
                ? new VaultProofLookup(null, $"{tag}: {problem}")
                : new VaultProofLookup(proof, null);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            return new VaultProofLookup(null, $"{tag} does not parse: {e.Message}");
        }
    }

    public async Task SaveAsync(string key, VaultProof proof, CancellationToken ct)
    {
        var record = proof.ToJson();
        var empty = "{}"u8.ToArray();
        await registry.PushBlobAsync(_repository, empty, ct);
        var layer = await registry.PushBlobAsync(_repository, record, ct);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = Referrers.ManifestType,
            ["artifactType"] = ArtifactType,
            ["config"] = Referrers.Descriptor(Referrers.EmptyType, Digest.Of(empty), empty.Length),
            ["layers"] = new JsonArray(Referrers.Descriptor(ArtifactType, layer, record.Length)),
            ["annotations"] = new JsonObject
            {
                ["org.opencontainers.image.created"] = (proof.ProvenAt ?? DateTimeOffset.UtcNow).ToString("yyyy-MM-ddTHH:mm:ssZ"),
                ["dev.strata.vault-proof.image"] = proof.ImageRef,
            },
        };
        await registry.PushManifestAsync(_repository.WithTag(TagOf(key)), Referrers.ManifestType, Encoding.UTF8.GetBytes(manifest.ToJsonString()), ct);
    }
}
