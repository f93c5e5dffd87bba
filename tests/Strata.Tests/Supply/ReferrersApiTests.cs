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
    private static readonly ImageRepository Repository = ImageRepository.Parse("acme/tiny");
    private static readonly Digest Image = Digest.Parse("sha256:ab00000000000000000000000000000000000000000000000000000000000000");

    /// <summary>The fake registry plus the referrers API: the index is computed from the manifests' subjects.</summary>
    private sealed class WithReferrersApi(FakeRegistry fake) : DelegatingRegistry(fake)
    {
        private readonly FakeRegistry _fake = fake;

        public override async Task<RegistryManifest?> FindReferrersAsync(ImageReference subject, CancellationToken ct = default)
        {
            var manifests = new JsonArray();
            foreach (var pushed in _fake.PushedManifests)
                if (JsonNode.Parse((await _fake.FindManifestAsync(subject.WithDigest(pushed), ct))!.Body) is { } m && m["subject"]?["digest"]?.GetValue<string>() == subject.Digest)
                    manifests.Add(new JsonObject { ["mediaType"] = Referrers.ManifestType, ["digest"] = pushed, ["size"] = 1, ["artifactType"] = m["artifactType"]!.GetValue<string>() });
            var body = Encoding.UTF8.GetBytes(new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = Referrers.IndexType, ["manifests"] = manifests }.ToJsonString());
            return new RegistryManifest(body, Referrers.IndexType, Digest.Of(body));
        }
    }

    [Fact]
    public async Task Where_the_registry_has_the_referrers_api_it_is_used_and_no_referrers_tag_is_written()
    {
        var fake = new FakeRegistry(RegistryLocation.Parse("registry.example/team"));
        fake.Put("tiny", Image.Value, new Dictionary<string, string>());
        var referrers = new Referrers(new WithReferrersApi(fake), Repository);

        var sbom = await referrers.AttachAsync(Image, EvidenceKind.Sbom.ArtifactType(), [new ArtifactLayer(EvidenceKind.Sbom.ArtifactType(), "{}"u8.ToArray())],
            new Dictionary<string, string>());

        Assert.False(fake.Has(Referrers.TagOf(Image)));
        var listed = Assert.Single(await referrers.ListAsync(Image));
        Assert.Equal((sbom, EvidenceKind.Sbom.ArtifactType()), (listed.Digest, listed.ArtifactType));
        Assert.Equal("{}"u8.ToArray(), Assert.Single((await referrers.ReadAsync(listed))!).Content);
    }
}
