using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Oci;
using Strata.Pipeline;
using Strata.Platforms;
using Strata.Tests.Smoke;
using Strata.Tests.Support;
using Xunit.Abstractions;
using Strata.BaseOs;

namespace Strata.Tests.Platforms;

/// <summary>
/// Set-uid under emulation on the real engine and the host's real binfmt_misc: an arm64 image whose smoke check is
/// "sudo needs no password" (the arm64 fixture root: sudo set-uid, dev with sudo without a password) passes on a host
/// whose qemu-aarch64 was registered the way Debian does it (flags PF, no C), because the gate registers it again with C
/// before the build. The registration is host-global: the test takes C away only for the milliseconds before the gate
/// runs, and puts back what it found whatever happens. Needs root, qemu-user-static and binfmt_misc (.ci/run sets them up).
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class SetuidEmulationIntegrationTests(EngineFixture engine, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempRepo _repo = new();
    private readonly DockerEngine _docker = new(BuilderChoice.BuildKit);
    private readonly string _repository = "strata-it/setuid-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _log = [];
    private readonly KernelBinfmtMisc _binfmt = new(Emulation.BinfmtDirectory);
    private ImageReference _baseOsTag = null!;

    private BaseOsSpec BaseOs => engine.OwnBaseOs("setuid-test");

    public async Task InitializeAsync()
    {
        var arm64Root = await Arm64VaultImage.GetAsync(engine.Docker, output.WriteLine);
        _baseOsTag = BaseOsProvider.FallbackTag(BaseOs, Platform.LinuxArm64);
        await engine.Docker.Images.TagAsync(arm64Root, _baseOsTag);
        _repo.Write("strata.yaml", $"""
                repository: {_repository}
                platforms: [linux/arm64]
                {engine.BaseOsYaml(BaseOs)}
                images:
                  - {"{"} name: base, dockerfile: Dockerfiles/Dockerfile.base {"}"}
                """)
            .Write("Dockerfiles/Dockerfile.base", """
                ARG PARENT_IMAGE
                FROM ${PARENT_IMAGE}
                CMD ["true"]
                """)
            .Write("Dockerfiles/base.smoke.yaml", """
                commands:
                  - name: locale is UTF-8
                    run: "true"
                  - name: sudo needs no password
                    user: dev
                    run: sudo -n true
                """);
    }

    public async Task DisposeAsync()
    {
        await engine.RemoveRepositoryAsync(_repository);
        await engine.Docker.Images.RemoveImageAsync(_baseOsTag);
        _docker.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public async Task A_sudo_check_in_an_arm64_image_passes_on_a_host_whose_emulator_was_registered_without_C()
    {
        var found = _binfmt.Find("qemu-aarch64") ?? throw new InvalidOperationException(
            "qemu-aarch64 is not registered with binfmt_misc: apt-get install qemu-user-static binfmt-support; update-binfmts --enable qemu-aarch64");
        try
        {
            _binfmt.Reregister(found, found.Flags.Replace("C", "").Replace("O", "")); // as Debian registers it: PF
            Assert.False(_binfmt.Find("qemu-aarch64")!.HonoursSetuid);

            using var pipeline = new ImagePipeline(new RunOptions
            {
                RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache"),
                Platforms = PlatformSelection.Parse("linux/arm64"),
            }, line => { lock (_log) _log.Add(line); output.WriteLine(line); }, _docker);
            await pipeline.BuildAsync("base");
            await pipeline.ProveAndPromoteAsync("base");

            Assert.True(_binfmt.Find("qemu-aarch64")!.HonoursSetuid);
            Assert.Contains(_log, l => l.Contains("qemu-aarch64 was registered with binfmt_misc flags 'PF', without C"));
        }
        finally
        {
            if (_binfmt.Find("qemu-aarch64") is { } now && now.Flags != found.Flags) _binfmt.Reregister(now, found.Flags);
        }
    }
}
