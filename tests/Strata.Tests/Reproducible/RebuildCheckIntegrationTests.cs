using Strata.Images;
using Strata.Pipeline;
using Strata.Registry;
using Strata.Reproducible;
using Strata.Tests.Support;
using Strata.Oci;

namespace Strata.Tests.Reproducible;

/// <summary>
/// verify --rebuild end to end on the real engine and a real registry: a small chain (base with its thin dotfiles layer)
/// released with --reproducible, then built again cold here and compared with the moving tag's image.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
[Trait("Lane", "registry")] // (a release or a push into a registry: the third lane, see src/Strata.TestRun/TestLanes.cs)
public sealed class RebuildCheckIntegrationTests(EngineFixture engine) : IAsyncLifetime
{
    private readonly TempRepo _repo = new();
    private readonly ImageRepository _repository = ImageRepository.Parse("strata-it/rebuild-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<string> _log = [];
    private RegistryServer _registry = null!;

    public async Task InitializeAsync()
    {
        _registry = await RegistryServer.StartAsync();
        _repo.Write("Dockerfiles/Dockerfile.dotfiles", ChainFiles.DotfilesToRoot)
            .WriteBashrc()
            .Write("Dockerfiles/base.smoke.yaml", """
                commands:
                  - name: locale is UTF-8
                    run: "true"
                """)
            .Write("strata.yaml", ChainFiles.StrataYaml(_repository.Name, engine.BaseOsYaml(), "base"));
    }

    public async Task DisposeAsync()
    {
        await engine.RemoveRepositoryAsync(Location.ImageName(_repository));
        await _registry.DisposeAsync();
        _repo.Dispose();
    }

    private RegistryLocation Location => RegistryLocation.Parse($"{_registry.Host}/team");

    private ImagePipeline NewPipeline() => new(
        new RunOptions
        {
            RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache"),
            Registry = Location, Reproducible = true, Platforms = new Strata.Platforms.PlatformSelection.Native(),
        },
        line => { lock (_log) _log.Add(line); }, engine.Docker);

    private async Task ReleaseThenRebuildAsync(string dockerfile)
    {
        _repo.Write("Dockerfiles/Dockerfile.base", dockerfile);
        using (var release = NewPipeline())
        {
            try { await release.ReleaseAsync(); }
            catch (SmokeFailedException e)
            {
                var report = Directory.GetFiles(_repo.Path("artifacts/smoke"), "*.xml").Select(File.ReadAllText);
                throw new Xunit.Sdk.XunitException("the release's smoke tests failed: " + e.Message + "\n" + string.Join("\n", report));
            }
        }
        _log.Clear();
        using var check = NewPipeline();
        await check.RebuildCheckAsync();
    }

    [Fact]
    public async Task A_released_chain_rebuilds_here_to_the_registry_s_images()
    {
        await ReleaseThenRebuildAsync("""
            ARG PARENT_IMAGE
            FROM ${PARENT_IMAGE}
            CMD ["true"]
            RUN useradd -m dev && update-alternatives --install /usr/local/bin/hi hi /bin/true 10 && echo hello > /etc/hello
            """);
        Assert.Contains(_log, l => l.Contains("building core", StringComparison.Ordinal)); // it did build again
        Assert.Contains(_log, l => l.Contains("verify --rebuild: 1 image(s) rebuilt bit for bit", StringComparison.Ordinal));
        Assert.Contains("## Reproducible", File.ReadAllText(_repo.Path("artifacts/release-notes.md"))); // the release said how to check it
    }

    [Fact]
    public async Task A_step_that_writes_the_time_fails_the_check_naming_its_file_in_its_layer()
    {
        var e = await Assert.ThrowsAsync<RebuildMismatchException>(() => ReleaseThenRebuildAsync("""
            ARG PARENT_IMAGE
            FROM ${PARENT_IMAGE}
            CMD ["true"]
            RUN echo stable > /etc/stable
            RUN date +%s%N > /etc/x
            """));
        Assert.Contains("base (linux/", e.Message);
        var layer = _log.FindIndex(l => l.Contains("date +%s%N > /etc/x", StringComparison.Ordinal) && l.TrimStart().StartsWith("layer ", StringComparison.Ordinal));
        Assert.True(layer >= 0, string.Join("\n", _log));
        Assert.Equal("    ~ /etc/x (content)", _log[layer + 1]);
        // The registry's image, pulled to compare, is not left behind under a digest reference.
        Assert.DoesNotContain(await engine.Docker.Images.ListImagesAsync(Location.Reference(_repository)), i => i.RepoTags.Count == 0);
    }
}
