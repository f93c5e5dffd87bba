using Strata.Engine;
using Strata.Images;
using Strata.Oci;
using Strata.Pipeline;
using Strata.Platforms;
using Strata.Registry;
using Strata.Tests.Support;
using Strata.Tests.Support.Fakes;
using Strata.BaseOs;

namespace Strata.Tests.Pipeline;

/// <summary>
/// The platform gates on the in-memory engine, registry and smoke runner: a moving tag becomes an index of every declared
/// platform only after the whole chain passed on every one; a second release writes nothing; per-platform releases on
/// their own runners leave the moving tags to release-index; a foreign platform without emulation stops before any build.
/// </summary>
public sealed class PlatformGateTests : IDisposable
{
    private readonly FakeWorld _world = new();
    private readonly TempRepo _binfmt = new();
    private TempRepo _repo => _world.Repo;
    private FakeRegistry _registry => _world.Registry;
    private FakeEngine _engine => _world.Engine;
    private FakeSmokeRunner _smoke => _world.Smoke;
    private List<string> _log => _world.Log;

    public PlatformGateTests()
    {
        _binfmt.Write("status", "enabled\n").Write("qemu-aarch64", Strata.Tests.Platforms.BinfmtEntryTests.Aarch64("POCF"));
        _repo.Write("strata.yaml", $"""
                repository: acme/workstation
                platforms: [linux/amd64, linux/arm64]
                {FakeWorld.BaseOsYaml}
                images:
                  - {"{"} name: base, dockerfile: Dockerfiles/Dockerfile.base {"}"}
                  - {"{"} name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s {"}"}
                """)
            .Write("Dockerfiles/Dockerfile.base", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\n")
            .Write("Dockerfiles/Dockerfile.k8s", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\n");
        using var pipeline = NewPipeline();
        // The arm64 base OS, as the debootstrap fallback leaves it (imported, labelled arm64).
        _engine.Add(Platform.LinuxArm64, new Dictionary<string, string>(),
            BaseOsProvider.FallbackTag(pipeline.Graph.BaseOs, Platform.LinuxArm64).ToString());
    }

    public void Dispose()
    {
        _world.Dispose();
        _binfmt.Dispose();
    }

    private ImagePipeline NewPipeline(string? platforms = null) =>
        _world.Pipeline(withRegistry: true, o => o with { Platforms = platforms is null ? null : PlatformSelection.Parse(platforms) }, _binfmt.Root);

    [Fact]
    public async Task A_release_makes_each_moving_tag_an_index_of_both_platforms_and_a_second_release_writes_nothing()
    {
        using (var release = NewPipeline())
        {
            await release.ReleaseAsync(FakeWorld.Release);
            foreach (var image in new[] { "base", "k8s" })
            {
                var expected = new List<(Platform, Digest)>();
                foreach (var p in release.Graph.Platforms)
                    expected.Add((p, (await _registry.FindAsync(_registry.At(null, (await release.ForAsync(p)).Plan.Get(image).Published.KeyTag.Tag!)))!.Digest));
                Assert.Equal(expected, _registry.IndexOf(image)!.Select(m => (m.Platform, m.Digest)));
                Assert.Equal(expected, _registry.IndexOf($"{image}-v1.0.0")!.Select(m => (m.Platform, m.Digest)));
            }
        }
        Assert.Equal(["base linux/amd64", "k8s linux/amd64", "base linux/arm64", "k8s linux/arm64"], _smoke.RanOn);

        // Another machine (a new cache, a new engine's view): nothing built, proven or written.
        var writes = _registry.ManifestWrites;
        var tags = _registry.Tags;
        _engine.Operations.Clear();
        Directory.Delete(_repo.Path(".cache"), recursive: true);
        using (var again = NewPipeline())
            await again.ReleaseAsync(FakeWorld.Release);
        Assert.Equal(4, _smoke.RanOn.Count);
        Assert.Equal(writes, _registry.ManifestWrites);
        Assert.Equal(tags, _registry.Tags);
        Assert.DoesNotContain(_engine.Operations, o => o.StartsWith("build") || o.StartsWith("push") || o.StartsWith("pull"));
    }

    [Fact]
    public async Task A_failed_arm64_smoke_test_moves_no_moving_tag_for_either_platform()
    {
        _smoke.Failing.Add("k8s linux/arm64");

        using (var release = NewPipeline())
            await Assert.ThrowsAsync<SmokeFailedException>(() => release.ReleaseAsync(FakeWorld.Release));

        Assert.Null(_registry.IndexOf("base"));
        Assert.Null(_registry.IndexOf("k8s"));
        Assert.False(_registry.Has("base") || _registry.Has("k8s"), "a moving tag was written"); // (amd64's evidence was attached: manifests, no tag)
        Assert.Contains("k8s linux/amd64", _smoke.RanOn); // amd64 passed and was pushed, its tags did not move
    }

    [Fact]
    public async Task Per_platform_releases_leave_the_moving_tags_to_release_index()
    {
        using (var amd64 = NewPipeline("linux/amd64"))
        {
            await amd64.ReleaseAsync(FakeWorld.Release);
            Assert.Null(_registry.IndexOf("base"));
            var early = await Assert.ThrowsAsync<IndexIncompleteException>(() => amd64.ReleaseIndexAsync(FakeWorld.Release));
            Assert.Contains("base for linux/arm64", early.Message);
        }
        Assert.Contains(_log, l => l.Contains("the moving tags stay where they are") && l.Contains("k8s for linux/arm64"));

        using (var arm64 = NewPipeline("linux/arm64"))
            await arm64.ReleaseAsync(FakeWorld.Release); // with amd64 already proven in the registry, this release completes the indexes
        Assert.Equal([Platform.LinuxAmd64, Platform.LinuxArm64], _registry.IndexOf("k8s")!.Select(m => m.Platform));

        _engine.Operations.Clear();
        using (var index = NewPipeline())
            await index.ReleaseIndexAsync(FakeWorld.Release);
        Assert.Empty(_engine.Operations);
        Assert.Equal(4, _smoke.RanOn.Count);
    }

    [Fact]
    public async Task A_foreign_platform_without_emulation_stops_before_any_build()
    {
        File.Delete(Path.Combine(_binfmt.Root, "qemu-aarch64"));
        using var pipeline = NewPipeline("all");

        var e = await Assert.ThrowsAsync<EmulationMissingException>(() => pipeline.BuildAsync("base"));

        Assert.Contains("update-binfmts --enable qemu-aarch64", e.Message);
        Assert.DoesNotContain(_engine.Operations, o => o.StartsWith("build"));
        await Assert.ThrowsAsync<EmulationMissingException>(() => pipeline.ReleaseAsync(FakeWorld.Release));
    }

    [Fact]
    public async Task A_build_for_arm64_is_checked_and_a_builder_that_ignores_the_platform_is_an_error()
    {
        _engine.IgnorePlatform = true; // the classic builder of engine 20.10
        using var pipeline = NewPipeline("linux/arm64");

        var e = await Assert.ThrowsAsync<EngineException>(() => pipeline.BuildAsync("base"));

        Assert.Contains("asked for linux/arm64", e.Message);
        Assert.DoesNotContain((await pipeline.ForAsync(Platform.LinuxArm64)).Plan.Get("base").Core.KeyTag.ToString(), _engine.Tags);
    }
}
