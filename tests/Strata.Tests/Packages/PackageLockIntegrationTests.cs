using Strata.Engine;
using Strata.Images;
using Strata.Oci;
using Strata.Packages;
using Strata.Pipeline;
using Strata.Tests.Support;

namespace Strata.Tests.Packages;

/// <summary>
/// The package lock end to end, on the real engine and a stand-in Debian archive on 127.0.0.1 (real .debs, indexed by
/// dpkg-scanpackages): pin resolves each image's share in the base OS without building; builds install exactly the lock
/// even when the archive serves newer versions; a security update moves only the keys of the images that install the
/// package; a locked version the archive no longer serves fails the build, naming the package, the version and the fix.
/// The smallest chain that shows it: base (installs a, and names bsdutils, which the OS already has), tools (installs b,
/// which pulls in c), leaf (installs nothing).
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class PackageLockIntegrationTests : IAsyncLifetime
{
    private readonly EngineFixture _engine;
    private readonly TempRepo _repo = new();
    private readonly string _repository = "strata-it/packages-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _log = [];
    private StandInArchive _archive = null!;

    public PackageLockIntegrationTests(EngineFixture engine)
    {
        _engine = engine;
        const string header = "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY .strata/apt/ /usr/local/share/strata/apt/\nARG APT_CONFIG=/usr/local/share/strata/apt/apt.conf\n";
        _repo.Write("Dockerfiles/Dockerfile.base", header + "RUN apt-get update && apt-get install -y --no-install-recommends strata-demo-a bsdutils && rm -rf /var/lib/apt/lists/*\nCMD [\"true\"]\n");
        _repo.Write("Dockerfiles/Dockerfile.tools", header + "RUN apt-get update && apt-get install -y --no-install-recommends strata-demo-b && rm -rf /var/lib/apt/lists/*\n");
        _repo.Write("Dockerfiles/Dockerfile.leaf", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nRUN echo leaf > /leaf\n");
    }

    public async Task InitializeAsync()
    {
        _archive = (await StandInArchive.StartAsync())
            .Add("strata-demo-a", "1.0-1")
            .Add("strata-demo-c", "1.0-1")
            .Add("strata-demo-b", "1.0-1", depends: "strata-demo-c");
        _repo.Write("strata.yaml", $"""
            repository: {_repository}
            {_engine.BaseOsYaml()}
            apt:
              sources: ["{_archive.Source}"]
            images:
              - {"{"} name: base, dockerfile: Dockerfiles/Dockerfile.base {"}"}
              - {"{"} name: tools, parent: base, dockerfile: Dockerfiles/Dockerfile.tools {"}"}
              - {"{"} name: leaf, parent: tools, dockerfile: Dockerfiles/Dockerfile.leaf {"}"}
            """);
    }

    public async Task DisposeAsync()
    {
        await _engine.RemoveRepositoryAsync(_repository);
        await _archive.DisposeAsync();
        _repo.Dispose();
    }

    // Host networking: the builds and the resolution reach the stand-in archive on this machine's loopback.
    // Without the builder's layer cache where a build stands for another machine's (this engine still holds the layers).
    private ImagePipeline NewPipeline(bool noCache = false) => new(
        new RunOptions { RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache"), Network = "host", NoCache = noCache,
            Platforms = new Strata.Platforms.PlatformSelection.Native() },
        line => { lock (_log) _log.Add(line); }, _engine.Docker);

    private async Task BuildAllAsync(ImagePipeline pipeline)
    {
        foreach (var image in new[] { "base", "tools", "leaf" }) await pipeline.BuildAsync(image);
    }

    /// <summary>What dpkg says is installed of the stand-in's packages, in an image (dpkg-query -W, the independent witness).</summary>
    private async Task<string> InstalledAsync(ImagePipeline pipeline, string image)
    {
        var result = await _engine.Docker.Containers.RunContainerAsync(new ContainerOptions { ReplaceEntrypoint = true },
            (await pipeline.OnlyRunAsync()).Plan.Get(image).Published.KeyTag, ["sh", "-c", "dpkg-query -W 'strata-demo-*'"]);
        Assert.Equal(0, result.ExitCode);
        return result.StdOut.Trim();
    }

    private PackageLock Lock() => PackageLock.Load(_repo.Path("packages.lock.json"));

    [Fact]
    public async Task A_security_update_reaches_only_the_images_that_install_it_and_the_lock_is_installed_exactly()
    {
        var native = Platform.Host;
        using (var pin = NewPipeline())
        {
            var first = await pin.PinPackagesAsync();
            Assert.True(first.Changed);
        }
        var locked = Lock().Platforms[native];
        Assert.Equal(["strata-demo-a"], locked.Images["base"].Packages.Keys);
        Assert.Equal(["strata-demo-b", "strata-demo-c"], locked.Images["tools"].Packages.Keys.Order()); // what apt pulls in too
        Assert.False(locked.Images.ContainsKey("leaf"));

        Dictionary<string, string> keysBefore;
        string toolsBefore;
        using (var build = NewPipeline())
        {
            await BuildAllAsync(build);
            keysBefore = (await build.OnlyRunAsync()).Plan.Images.ToDictionary(i => i.Name, i => i.Key);
            toolsBefore = await InstalledAsync(build, "leaf");
        }
        Assert.Equal("strata-demo-a\t1.0-1\nstrata-demo-b\t1.0-1\nstrata-demo-c\t1.0-1", toolsBefore);

        // Another machine builds the same keys a week later, when the archive also serves a newer a: it installs the lock.
        _archive.Add("strata-demo-a", "1.1-1");
        await _engine.RemoveRepositoryAsync(_repository);
        using (var again = NewPipeline(noCache: true))
        {
            await BuildAllAsync(again);
            Assert.Equal(keysBefore, (await again.OnlyRunAsync()).Plan.Images.ToDictionary(i => i.Name, i => i.Key));
            Assert.Equal(toolsBefore, await InstalledAsync(again, "leaf"));
        }

        // A security update of b replaces 1.0-1 in the archive (and a is back to 1.0-1 alone). Until the lock follows, a build
        // of tools fails with the fix.
        _archive.Remove("strata-demo-a", "1.1-1")
            .Add("strata-demo-b", "1.0-1+deb13u1", depends: "strata-demo-c", changes: "Fix CVE-2026-12345: a heap overflow.")
            .Remove("strata-demo-b", "1.0-1");
        await _engine.RemoveRepositoryAsync(_repository);
        using (var stale = NewPipeline(noCache: true))
        {
            await stale.BuildAsync("base");
            var e = await Assert.ThrowsAsync<EngineException>(() => stale.BuildAsync("tools"));
            Assert.Contains("strata-demo-b 1.0-1", e.Message);
            Assert.Contains("--target=pin", e.Message);
            Assert.Contains("--apt-snapshot", e.Message);
        }

        // The pin takes the update: only the images that install the changed package (and their children) move.
        using (var pin = NewPipeline())
        {
            var second = await pin.PinPackagesAsync();
            Assert.Equal([$"{native} tools strata-demo-b 1.0-1 -> 1.0-1+deb13u1"],
                second.Changes.Select(c => $"{c.Platform} {c.Image} {c.Package} {c.Old!.Version} -> {c.Now!.Version}"));
        }
        using (var updated = NewPipeline())
        {
            var keysAfter = (await updated.OnlyRunAsync()).Plan.Images.ToDictionary(i => i.Name, i => i.Key);
            Assert.Equal(keysBefore["base"], keysAfter["base"]);
            Assert.NotEqual(keysBefore["tools"], keysAfter["tools"]);
            Assert.NotEqual(keysBefore["leaf"], keysAfter["leaf"]);
            _log.Clear();
            await BuildAllAsync(updated);
            Assert.Contains(_log, l => l.StartsWith("==> base: reused", StringComparison.Ordinal));
            Assert.Contains(_log, l => l.StartsWith("==> tools: built", StringComparison.Ordinal));
            Assert.Equal("strata-demo-a\t1.0-1\nstrata-demo-b\t1.0-1+deb13u1\nstrata-demo-c\t1.0-1", await InstalledAsync(updated, "leaf"));
        }
    }
}
