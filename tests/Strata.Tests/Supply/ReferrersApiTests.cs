using System.Text;
using System.Text.Json.Nodes;
using Strata.Oci;
using Strata.Registry;
using Strata.Supply;
using Strata.Tests.Support.Fakes;

namespace Strata.Tests.Supply;

/// <summary>
/// A registry with the referrers API (OCI distribution 1.1: Harbor, Zot, ACR, distribution 3) indexes the
/// artefacts itself: Strata then reads the API and writes no sha256-HEX tag. (Without the API, the tag
/// schema: AttachTests on the fake, SupplyIntegrationTests on distribution 2.8.)
/// </summary>
public sealed class ReferrersApiTests
{
    private const string Repository = "acme/tiny";
    private const string Image = "sha256:ab00000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The fake registry plus the referrers API: the index is computed from the manifests' subjects.</summary>
    private sealed class WithReferrersApi(FakeRegistry inner) : IRegistry
    {
        public RegistryLocation Location => inner.Location;
        public Task<RemoteImage?> FindAsync(ImageReference image, CancellationToken ct = default) => inner.FindAsync(image, ct);
        public Task TagAsync(ImageReference source, ImageReference target, CancellationToken ct = default) => inner.TagAsync(source, target, ct);
        public Task<RegistryManifest?> FindManifestAsync(ImageReference manifest, CancellationToken ct = default) => inner.FindManifestAsync(manifest, ct);
        public Task<Digest> PushManifestAsync(ImageReference target, string mediaType, byte[] body, CancellationToken ct = default) =>
            inner.PushManifestAsync(target, mediaType, body, ct);
        public Task<Digest> PushBlobAsync(ImageReference repository, byte[] content, CancellationToken ct = default) => inner.PushBlobAsync(repository, content, ct);
        public Task<byte[]?> FindBlobAsync(ImageReference repository, Digest digest, CancellationToken ct = default) => inner.FindBlobAsync(repository, digest, ct);
        public Task<bool> HasBlobAsync(ImageReference repository, Digest digest, CancellationToken ct = default) => inner.HasBlobAsync(repository, digest, ct);
        public Task<bool> PushBlobAsync(ImageReference repository, Digest digest, long size, Func<Stream> open, CancellationToken ct = default) =>
            inner.PushBlobAsync(repository, digest, size, open, ct);

        public async Task<RegistryManifest?> FindReferrersAsync(ImageReference subject, CancellationToken ct = default)
        {
            var manifests = new JsonArray();
            foreach (var pushed in inner.PushedManifests)
                if (JsonNode.Parse((await inner.FindManifestAsync(subject.WithDigest(pushed), ct))!.Body) is { } m && m["subject"]?["digest"]?.GetValue<string>() == subject.Digest)
                    manifests.Add(new JsonObject { ["mediaType"] = Referrers.ManifestType, ["digest"] = pushed, ["size"] = 1, ["artifactType"] = m["artifactType"]!.GetValue<string>() });
            var body = Encoding.UTF8.GetBytes(new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = Referrers.IndexType, ["manifests"] = manifests }.ToJsonString());
            return new RegistryManifest(body, Referrers.IndexType, Referrers.Digest(body));
        }

        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public async Task Where_the_registry_has_the_referrers_api_it_is_used_and_no_referrers_tag_is_written()
    {
        var fake = new FakeRegistry(RegistryLocation.Parse("registry.example/team"));
        fake.Put("tiny", Image, new Dictionary<string, string>());
        var referrers = new Referrers(new WithReferrersApi(fake), Repository);

        var sbom = await referrers.AttachAsync(Image, EvidenceKind.Sbom.ArtifactType(), [new ArtifactLayer(EvidenceKind.Sbom.ArtifactType(), "{}"u8.ToArray())],
            new Dictionary<string, string>());

        Assert.False(fake.Has(Referrers.TagOf(Image)));
        var listed = Assert.Single(await referrers.ListAsync(Image));
        Assert.Equal((sbom, EvidenceKind.Sbom.ArtifactType()), (listed.Digest, listed.ArtifactType));
        Assert.Equal("{}"u8.ToArray(), Assert.Single((await referrers.ReadAsync(listed))!).Content);
    }
}
