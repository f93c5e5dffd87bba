using System.Text.Json;
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.IO;
using Strata.Oci;
using Strata.Pipeline;
using Strata.Registry;
using Strata.Tests.Smoke;
using Strata.Tests.Support;
using Xunit.Abstractions;
using Strata.BaseOs;

namespace Strata.Tests.Platforms;

/// <summary>
/// amd64 and arm64 end to end on the real engine (arm64 under QEMU's user-mode emulation) and a real registry, with the
/// smallest graph: one image, its arm64 base OS the arm64 fixture root (Debian's arm64 packages unpacked, no
/// debootstrap), its amd64 base OS the chain's. Needs qemu-user-static and binfmt_misc (.ci/run sets them up).
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
[Trait("Lane", "registry")] // (a release or a push into a registry: the third lane, see src/Strata.TestRun/TestLanes.cs)
public sealed class PlatformReleaseIntegrationTests(EngineFixture engine, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempRepo _repo = new();
    private readonly RecordingDocker _docker = new(BuilderChoice.BuildKit);
    private readonly ImageRepository _repository = ImageRepository.Parse("strata-it/platforms-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<string> _log = [];
    private readonly List<ImageReference> _baseOsTags = [];
    private RegistryServer _registry = null!; // the fixture's, shared

    // A recipe of its own, so its fallback tags (set up here for both platforms) are this test's, never the chain's.
    private BaseOsSpec BaseOs => engine.OwnBaseOs("platform-test");

    public async Task InitializeAsync()
    {
        _registry = await engine.SharedRegistryAsync();
        var arm64Root = await Arm64VaultImage.GetAsync(engine.Docker, output.WriteLine);
        foreach (var (platform, image) in new[] { (Platform.LinuxAmd64, engine.BaseOsImage), (Platform.LinuxArm64, arm64Root) })
        {
            var tag = BaseOsProvider.FallbackTag(BaseOs, platform);
            await engine.Docker.Images.TagAsync(image, tag);
            _baseOsTags.Add(tag);
        }
        _repo.Write("strata.yaml", $"""
                repository: {_repository}
                platforms: [linux/amd64, linux/arm64]
                {engine.BaseOsYaml(BaseOs)}
                images:
                  - {"{"} name: base, dockerfile: Dockerfiles/Dockerfile.base {"}"}
                """)
            .Write("Dockerfiles/Dockerfile.base", """
                ARG PARENT_IMAGE
                FROM ${PARENT_IMAGE}
                RUN uname -m > /etc/strata-built-on
                CMD ["true"]
                """);
        WriteSpec(failOnArm64: false);
    }

    /// <summary>The smoke spec, with a per-platform expectation; with <paramref name="failOnArm64"/> arm64 expects what it cannot print.</summary>
    private void WriteSpec(bool failOnArm64) => _repo.Write("Dockerfiles/base.smoke.yaml", $"""
        commands:
          - name: locale is UTF-8
            run: "true"
          - name: the RUN step ran on the image's machine
            run: test "$(cat /etc/strata-built-on)" = "$(uname -m)"
          - name: the machine
            run: uname -m
            stdout: ['^x86_64$']
            platforms:
              linux/arm64: {"{"} stdout: ['^{(failOnArm64 ? "riscv64" : "aarch64")}$'] {"}"}
        """);

    public async Task DisposeAsync()
    {
        await engine.RemoveRepositoryAsync(Location.ImageName(_repository));
        foreach (var tag in _baseOsTags) await engine.Docker.Images.RemoveImageAsync(tag);
        _docker.Dispose();
        _repo.Dispose();
    }

    private RegistryLocation Location => RegistryLocation.Parse($"{_registry.Host}/team");

    private ImagePipeline NewPipeline(string? platforms = null) => new(
        new RunOptions
        {
            RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache"), Registry = Location,
            Platforms = platforms is null ? null : Strata.Platforms.PlatformSelection.Parse(platforms),
        },
        line => { lock (_log) _log.Add(line); output.WriteLine(line); }, _docker.Cli);

    [Fact]
    public async Task An_image_built_for_arm64_under_emulation_is_arm64_and_its_commands_say_aarch64()
    {
        using var pipeline = NewPipeline("linux/arm64");
        await pipeline.BuildAsync("base");

        var tag = (await pipeline.ForAsync(Platform.LinuxArm64)).Plan.Get("base").Published.KeyTag;
        Assert.Equal(Platform.LinuxArm64, await engine.Docker.Images.PlatformOfAsync(tag));
        var run = await engine.Docker.Containers.RunContainerAsync(new ContainerOptions { ReplaceEntrypoint = true }, tag,
            ["sh", "-c", "uname -m; cat /etc/strata-built-on"]);
        Assert.Equal("aarch64\naarch64\n", run.StdOut);
    }

    [Fact]
    public async Task A_two_platform_release_waits_for_every_platform_then_publishes_one_index_and_a_second_release_does_nothing()
    {
        // arm64 fails its smoke tests: no moving tag for either platform (amd64 passed and was pushed under its key tags).
        WriteSpec(failOnArm64: true);
        using (var failing = NewPipeline())
            await Assert.ThrowsAsync<SmokeFailedException>(() => failing.ReleaseAsync());
        Assert.Null(await ManifestAsync("base"));

        WriteSpec(failOnArm64: false);
        using (var release = NewPipeline())
            await release.ReleaseAsync();
        var index = await SkopeoAsync("base");
        Assert.Equal(ImageIndex.MediaType, index.GetProperty("mediaType").GetString());
        Assert.Equal(["amd64", "arm64"], index.GetProperty("manifests").EnumerateArray()
            .Select(m => m.GetProperty("platform").GetProperty("architecture").GetString()));
        var digest = (await ManifestAsync("base"))!.Digest;

        // A new machine: nothing of this repository in the engine, an empty cache.
        await engine.RemoveRepositoryAsync(Location.ImageName(_repository));
        Directory.Delete(_repo.Path(".cache"), recursive: true);
        _docker.Reset();
        _log.Clear();
        using (var again = NewPipeline())
            await again.ReleaseAsync();
        Assert.DoesNotContain("build", _docker.Calls);
        Assert.DoesNotContain("pull", _docker.Calls);
        Assert.DoesNotContain("push", _docker.Calls);
        Assert.DoesNotContain(_log, l => l.Contains("smoke testing", StringComparison.Ordinal));
        Assert.Equal(digest, (await ManifestAsync("base"))!.Digest);
    }

    private async Task<RegistryManifest?> ManifestAsync(string tag)
    {
        using var client = new RegistryClient(Location, RegistryLogin.Anonymous);
        return await client.FindManifestAsync(client.At(_repository, tag));
    }

    /// <summary>The manifest as an independent client (skopeo) reads it.</summary>
    private async Task<JsonElement> SkopeoAsync(string tag)
    {
        var skopeo = Executables.Find("skopeo") ?? throw new InvalidOperationException("skopeo is not installed (apt-get install skopeo; .ci/run installs it)");
        var text = new System.Text.StringBuilder();
        var exit = await ChildProcess.RunAsync(skopeo, ["inspect", "--raw", "--tls-verify=false", $"docker://{Location.ImageName(_repository)}:{tag}"],
            line => text.AppendLine(line), output.WriteLine, CancellationToken.None);
        Assert.Equal(0, exit);
        return JsonDocument.Parse(text.ToString()).RootElement.Clone();
    }
}
