using System.Text.Json.Nodes;
using Strata.Images;
using Strata.Oci;
using Strata.Pipeline;
using Strata.Registry;
using Strata.Smoke;
using Strata.Supply;
using Strata.Tests.Support;
using Strata.Tests.Support.Fakes;

namespace Strata.Tests.Supply;

/// <summary>
/// The supply-chain step of a release on the in-memory engine, registry (no referrers API, like
/// distribution 2.8: the tag schema) and smoke runner: the gate, once per kind, a half-done attach
/// finished, the release record, and verify's verdicts. The real registry: SupplyIntegrationTests.
/// </summary>
public sealed class AttachTests : IDisposable
{
    private const string Os = FakeWorld.Os;
    private static readonly ImageRepository Repository = ImageRepository.Parse("acme/tiny");
    private readonly FakeWorld _world = new();
    private TempRepo _repo => _world.Repo;
    private FakeRegistry _registry => _world.Registry;
    private FakeEngine _engine => _world.Engine;
    private FakeSmokeRunner _smoke => _world.Smoke;
    private List<string> _log => _world.Log;

    public AttachTests()
    {
        _repo.Write("strata.yaml", $"""
                repository: {Repository}
                {FakeWorld.BaseOsYaml}
                images:
                  - {"{"} name: os, dockerfile: Dockerfiles/Dockerfile.os {"}"}
                  - {"{"} name: app, parent: os, dockerfile: Dockerfiles/Dockerfile.app {"}"}
                """)
            .Write("Dockerfiles/Dockerfile.os", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\n")
            .Write("Dockerfiles/Dockerfile.app", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nRUN true\n");
    }

    public void Dispose() => _world.Dispose();

    private ImagePipeline NewPipeline() => _world.Pipeline(withRegistry: true, o => o with { Revision = "0123abc" });

    /// <summary>The image manifest a moving tag names: the index's entry (one platform here), or the tag's own manifest.</summary>
    private async Task<Digest> ImageDigestAsync(string tag) =>
        _registry.IndexOf(tag) is [var entry] ? entry.Digest : (await _registry.FindAsync(_registry.At(Repository, tag)))!.Digest;

    private async Task<IReadOnlyList<Referrer>> ReferrersOfAsync(string tag) =>
        await new Referrers(_registry, Repository).ListAsync(await ImageDigestAsync(tag));

    [Fact]
    public async Task Nothing_is_attached_to_an_image_that_has_not_passed_its_smoke_tests()
    {
        var attacher = new EvidenceAttacher(new Referrers(_registry, Repository), new SmokeProof(_repo.Path("proofs")), _log.Add);
        var expected = new Expectation("os", Digest.Parse("sha256:" + new string('a', 64)), new string('1', 64), new string('2', 64), []);
        var asked = 0;

        var e = await Assert.ThrowsAsync<AttachRefusedException>(() => attacher.AttachAsync(expected, (_, _) =>
        {
            asked++;
            return Task.FromResult<IReadOnlyList<ArtifactLayer>>([]);
        }));

        Assert.Contains("has not passed its smoke tests", e.Message);
        Assert.Contains("--target=smoke-os", e.Message);
        Assert.Equal(0, asked);
        Assert.Empty(_registry.PushedManifests);
    }

    [Fact]
    public async Task A_release_attaches_an_sbom_a_provenance_and_a_smoke_report_to_each_digest_and_a_second_release_attaches_nothing()
    {
        using (var pipeline = NewPipeline()) await pipeline.ReleaseAsync();

        foreach (var image in new[] { "os", "app" })
        {
            var referrers = await ReferrersOfAsync(image);
            Assert.Equal(EvidenceKinds.All.Select(k => k.ArtifactType()).Order(), referrers.Select(r => r.ArtifactType!).Order());
        }
        Assert.Equal(6, _log.Count(l => l.Contains(" attached to ", StringComparison.Ordinal)));
        var before = _registry.PushedManifests;
        _log.Clear();

        using (var again = NewPipeline()) await again.ReleaseAsync();

        Assert.Equal(before, _registry.PushedManifests);
        Assert.DoesNotContain(_log, l => l.Contains(" attached to ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_rerun_finishes_a_half_done_attach_and_attaches_nothing_twice()
    {
        using var pipeline = NewPipeline();
        await pipeline.ReleaseAsync();
        var digest = await ImageDigestAsync("os");
        // As if the first run died after the SBOM: the provenance and the smoke report are gone.
        foreach (var r in (await ReferrersOfAsync("os")).Where(r => r.ArtifactType != EvidenceKind.Sbom.ArtifactType()))
            _registry.DeleteManifest(r.Digest);
        _log.Clear();

        var attached = await new EvidenceAttacher(new Referrers(_registry, Repository), pipeline.Proofs, _log.Add).AttachAsync(
            AttachCommand.Expect((await pipeline.OnlyRunAsync()).Plan, (await pipeline.OnlyRunAsync()).Plan.Get("os"), digest, (await pipeline.OnlyRunAsync()).Prove.ProofKey("os")),
            (kind, _) => MakeAgainAsync(kind, digest));

        Assert.Equal([EvidenceKind.Provenance, EvidenceKind.SmokeReport], attached);
        var rows = await pipeline.VerifyAsync();
        Assert.All(rows, r => Assert.True(r.Ok, string.Join("; ", r.Problems)));

        async Task<IReadOnlyList<ArtifactLayer>> MakeAgainAsync(EvidenceKind kind, Digest subject)
        {
            var plan = (await pipeline.OnlyRunAsync()).Plan.Get("os");
            return kind == EvidenceKind.Provenance
                ? [new ArtifactLayer(kind.ArtifactType(), Provenance.Write(new ProvenanceInput(ImageReference.Parse("x/os").WithDigest(subject), plan.Key,
                    "os", plan.Platform, "fake", new BuilderIdentity("urn:test", null), "0123abc", ImageReference.Parse(Os), null, [],
                    new Dictionary<string, string>(), null)))]
                : [new ArtifactLayer(kind.ArtifactType(), new SmokeAttestation("os", subject.Value, plan.Key, (await pipeline.OnlyRunAsync()).Prove.ProofKey("os"), true, 1, null, "t").ToJson())];
        }
    }

    [Fact]
    public async Task A_release_that_fails_half_way_leaves_no_release_record_and_a_passing_one_records_every_digest()
    {
        _repo.Write("artifacts/release.json", """{"images":[{"name":"os","digest":"sha256:stale"}]}""");
        _smoke.Failing.Add("app");
        using (var failing = NewPipeline())
            await Assert.ThrowsAsync<SmokeFailedException>(() => failing.ReleaseAsync());
        Assert.False(File.Exists(_repo.Path("artifacts/release.json")));

        _smoke.Failing.Clear();
        var keyTags = new Dictionary<string, string>();
        using (var passing = NewPipeline())
        {
            await passing.ReleaseAsync();
            foreach (var planned in (await passing.OnlyRunAsync()).Plan.Images) keyTags[planned.Name] = planned.Published.KeyTag.Tag!;
        }

        var released = ReleaseRecord.Read(_repo.Path("artifacts/release.json"));
        Assert.Equal(["os", "app"], released.Select(r => r.Name));
        foreach (var image in released)
        {
            Assert.Equal((await ImageDigestAsync(image.Name)).Value, image.Digest);
            Assert.Equal([keyTags[image.Name]], image.Tags);
            Assert.Equal("registry.example:5000/team/acme/tiny", image.Reference);
            Assert.Equal("sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132", image.BaseDigest);
        }
        // The moving tags became indexes of the one declared platform: their digests are what the workflow signs.
        var indexes = ReleaseRecord.ReadIndexes(_repo.Path("artifacts/release.json"));
        Assert.Equal(["os", "app"], indexes.Select(i => i.Name));
        foreach (var index in indexes)
        {
            Assert.Equal((await _registry.FindManifestAsync(_registry.At(Repository, index.Name)))!.Digest.Value, index.Digest);
            Assert.Equal([index.Name], index.Tags);
            Assert.Equal(["linux/amd64"], index.Platforms);
        }
        Assert.Equal(released[0].BaseDigest, released[0].ParentDigest); // the first image is built FROM the base OS
        Assert.Equal(released[0].Digest, released[1].ParentDigest);     // without a dotfiles layer, the parent's core is what it publishes
        Assert.Contains("# What changes in the images", File.ReadAllText(_repo.Path("artifacts/release-notes.md")));
    }

    [Fact]
    public async Task Verify_passes_after_a_release_and_names_a_deleted_referrer_and_a_moved_key_tag()
    {
        using var pipeline = NewPipeline();
        await pipeline.ReleaseAsync();
        Assert.All(await pipeline.VerifyAsync(), r => Assert.True(r.Ok, string.Join("; ", r.Problems)));

        var provenance = (await ReferrersOfAsync("app")).Single(r => r.ArtifactType == EvidenceKind.Provenance.ArtifactType());
        _registry.DeleteManifest(provenance.Digest);
        var e = await Assert.ThrowsAsync<VerifyFailedException>(() => pipeline.VerifyAsync());
        Assert.Contains("app (linux/amd64): the provenance is listed in the referrers index, but its manifest or blobs are gone", e.Message);
        Assert.DoesNotContain("os:", e.Message);

        await _registry.TagAsync(_registry.At(Repository, await ImageDigestAsync("app")), _registry.At(Repository, (await pipeline.OnlyRunAsync()).Plan.Get("os").Published.KeyTag.Tag!));
        e = await Assert.ThrowsAsync<VerifyFailedException>(() => pipeline.VerifyAsync());
        Assert.Contains($"os (linux/amd64): its key tag {(await pipeline.OnlyRunAsync()).Plan.Get("os").Published.KeyTag.Tag} names", e.Message);
        Assert.Contains("the key tag was moved", e.Message);
    }

    [Fact]
    public async Task The_smoke_report_and_verify_name_the_image_whose_vault_run_a_reused_proof_rests_on()
    {
        const string reused = "user-mode-linux 6.1 (reused from os acme/tiny:os-0123456789ab, found in the registry (registry.example:5000/team/acme/tiny))";
        _smoke.VaultRuntimes["app"] = reused;
        using var pipeline = NewPipeline();
        await pipeline.ReleaseAsync();

        var report = (await ReferrersOfAsync("app")).Single(r => r.ArtifactType == EvidenceKind.SmokeReport.ArtifactType());
        var layers = await new Referrers(_registry, Repository).ReadAsync(report);
        Assert.Equal(reused, SmokeAttestation.Read(layers![0].Content).VaultRuntime);

        _log.Clear();
        await pipeline.VerifyAsync();
        Assert.Contains($"  app (linux/amd64): vault proven on {reused}", _log);
        Assert.DoesNotContain(_log, l => l.StartsWith("  os ", StringComparison.Ordinal)); // no vault, no line
    }

    [Fact]
    public async Task Verify_without_a_registry_says_to_give_one_before_it_plans_anything()
    {
        _repo.Write("tools.lock.json", "not json"); // planning would fail: the missing option must be said first
        using var pipeline = _world.Pipeline(withRegistry: false, o => o with { Revision = null });

        var e = await Assert.ThrowsAsync<OptionException>(() => pipeline.VerifyAsync());

        Assert.Equal("--target=verify works on a registry: give --registry=HOST[:PORT]/NAMESPACE (or STRATA_REGISTRY).", e.Message);
    }

    [Fact]
    public async Task Verify_fails_when_the_provenance_names_another_key()
    {
        using var pipeline = NewPipeline();
        await pipeline.ReleaseAsync();
        var digest = await ImageDigestAsync("os");
        var provenance = (await ReferrersOfAsync("os")).Single(r => r.ArtifactType == EvidenceKind.Provenance.ArtifactType());
        _registry.DeleteManifest(provenance.Digest);
        var plan = (await pipeline.OnlyRunAsync()).Plan.Get("os");
        var other = Provenance.Write(new ProvenanceInput(ImageReference.Parse("x/os").WithDigest(digest), new string('f', 64), "os", plan.Platform,
            "fake", new BuilderIdentity("urn:test", null), null, ImageReference.Parse(Os), null, [], new Dictionary<string, string>(), null));
        await new Referrers(_registry, Repository).AttachAsync(digest, EvidenceKind.Provenance.ArtifactType(),
            [new ArtifactLayer(EvidenceKind.Provenance.ArtifactType(), other)], new Dictionary<string, string>());

        var e = await Assert.ThrowsAsync<VerifyFailedException>(() => pipeline.VerifyAsync("os"));

        Assert.Contains($"os (linux/amd64): the provenance names key ffffffffffff, not {plan.Key[..12]}", e.Message);
        Assert.Contains("--image=nope: strata.yaml has no such image (it has os, app)",
            (await Assert.ThrowsAsync<OptionException>(() => pipeline.VerifyAsync("nope"))).Message);
    }
}
