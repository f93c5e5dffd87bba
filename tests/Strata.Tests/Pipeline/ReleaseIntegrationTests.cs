using Strata.Oci;
using System.Text;
using Strata.Images;
using Strata.Pipeline;
using Strata.Registry;
using Strata.Tests.Support;

namespace Strata.Tests.Pipeline;

/// <summary>
/// The registry as the shared cache, end to end on the real engine and a real registry: a small
/// chain (base, k8s, each with a thin dotfiles layer) released, then released again from a "new
/// machine" (everything Strata made removed from the engine, and its cache folder).
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
[Trait("Lane", "registry")] // (a release or a push into a registry: the third lane, see src/Strata.TestRun/TestLanes.cs)
public sealed class ReleaseIntegrationTests : IAsyncLifetime
{
    private readonly EngineFixture _engine;
    private readonly TempRepo _repo = new();
    private readonly RecordingDocker _docker = new();
    private readonly ImageRepository _repository = ImageRepository.Parse("strata-it/release-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<string> _log = [];
    // In the steps of a test that must meet no build cache of them (BuildKit's records are removed by it).
    private readonly string _nonce = "strata-it-tail-" + Guid.NewGuid().ToString("N")[..12];
    private RegistryServer _registry = null!;
    private bool _ownRegistry; // (a test that kills its registry starts its own; the shared one is the fixture's)

    public ReleaseIntegrationTests(EngineFixture engine)
    {
        _engine = engine;
        _repo.Write("Dockerfiles/Dockerfile.base", """
                ARG PARENT_IMAGE
                FROM ${PARENT_IMAGE}
                RUN echo "MARKER package-install base" && mkdir -p /opt/app
                CMD ["true"]
                """)
            .Write("Dockerfiles/Dockerfile.k8s", """
                ARG PARENT_IMAGE
                FROM ${PARENT_IMAGE}
                RUN echo "MARKER package-install k8s" && touch /opt/app/k8s
                """)
            .Write("Dockerfiles/Dockerfile.dotfiles", ChainFiles.DotfilesToRoot)
            .WriteBashrc()
            // The bare OS has no UTF-8 locale: this spec replaces that generated check.
            .Write("Dockerfiles/base.smoke.yaml", """
                commands:
                  - name: locale is UTF-8
                    run: "true"
                  - name: the dotfiles are in place
                    run: test -f /root/.dotfiles/bashrc
                """);
    }

    public async Task InitializeAsync()
    {
        _registry = await _engine.SharedRegistryAsync();
        _repo.Write("strata.yaml", ChainFiles.StrataYaml(_repository.Name, _engine.BaseOsYaml(), "base", "k8s"));
    }

    public async Task DisposeAsync()
    {
        await RemoveLocalAsync();
        await BuildRecords.RemoveAsync(_nonce);
        if (_ownRegistry) await _registry.DisposeAsync();
        _docker.Dispose();
        _repo.Dispose();
    }

    private RegistryLocation Location => RegistryLocation.Parse($"{_registry.Host}/team");

    /// <summary>The release options of <see cref="NewPipeline"/>'s releases: release tag v1.2.0.</summary>
    private static readonly ReleaseVerbOptions Release = new() { ReleaseTag = "v1.2.0" };

    private ImagePipeline NewPipeline(RegistryServer? registry = null, string? password = null) => new(
        new RunOptions
        {
            RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache"),
            Registry = RegistryLocation.Parse($"{(registry ?? _registry).Host}/team"),
            RegistryPasswordFromStdin = password is not null,
        },
        line => { lock (_log) _log.Add(line); }, _docker.Cli,
        new ProcessInputs(Environment.GetEnvironmentVariable, () => password)); // (a test below sets STRATA_REGISTRY_USER)

    /// <summary>A new machine: nothing Strata made in the engine, an empty cache folder.</summary>
    private async Task RemoveLocalAsync()
    {
        await _engine.RemoveRepositoryAsync(Location.ImageName(_repository));
        if (Directory.Exists(_repo.Path(".cache"))) Directory.Delete(_repo.Path(".cache"), recursive: true);
    }

    private async Task<IReadOnlyList<Reporting.ImageResult>> ReleaseAsync()
    {
        _docker.Reset();
        _log.Clear();
        using var pipeline = NewPipeline();
        await pipeline.ReleaseAsync(Release);
        return pipeline.Record.Images;
    }

    private async Task<RemoteImage?> RemoteAsync(string tag)
    {
        using var client = new RegistryClient(Location, RegistryLogin.Anonymous);
        return await client.FindAsync(client.At(_repository, tag));
    }

    private bool Ran(string marker) => _log.Any(l => l.Contains("MARKER " + marker, StringComparison.Ordinal));

    [Fact]
    public async Task A_release_on_a_new_machine_with_a_warm_registry_builds_proves_and_pulls_nothing_and_the_main_job_pulls_only_published_images()
    {
        await ReleaseAsync();
        var baseTag = await RemoteAsync("base");
        Assert.NotNull(baseTag);
        Assert.Equal(baseTag.Digest, (await RemoteAsync("base-v1.2.0"))!.Digest);
        Assert.Contains("build", _docker.Calls);
        Assert.Contains(_log, l => l.Contains("smoke testing", StringComparison.Ordinal));

        await RemoveLocalAsync();
        await ReleaseAsync();

        Assert.DoesNotContain("build", _docker.Calls);
        Assert.DoesNotContain("pull", _docker.Calls);
        Assert.DoesNotContain("push", _docker.Calls);
        Assert.DoesNotContain(_log, l => l.Contains("smoke testing", StringComparison.Ordinal));
        Assert.Contains(_log, l => l.Contains("smoke tests passed in an earlier release", StringComparison.Ordinal));

        // The main job on that machine: the published images come from the registry, their tags move here.
        _docker.Reset();
        using var main = NewPipeline();
        foreach (var image in (await main.OnlyRunAsync()).Plan.Images)
        {
            var result = await (await main.OnlyRunAsync()).Build.RunAsync(image.Name);
            Assert.Equal(Reporting.StageSource.Registry, result.Stages.Single(s => s.Stage == "published").Source);
            await (await main.OnlyRunAsync()).Prove.ProveAndPromoteAsync(image.Name);
        }
        Assert.DoesNotContain("build", _docker.Calls);
        Assert.Equal(2, _docker.Calls.Count(c => c == "pull")); // base and k8s published, no core
        var local = await _engine.Docker.Images.InspectImagesAsync([(await main.OnlyRunAsync()).Plan.Get("k8s").MovingTag]);
        Assert.Equal((await main.OnlyRunAsync()).Plan.Get("k8s").Key, Assert.Single(local).Labels[ChainBuilder.KeyLabel]);
    }

    [Fact]
    public async Task A_plan_with_a_registry_only_asks_it_tags_nothing_in_the_engine_and_writes_nothing_to_the_registry()
    {
        // Images built without the registry: a run with it adopts them (tags them with the registry name); a plan must not.
        var plain = new RunOptions { RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache") };
        using (var local = new ImagePipeline(plain, _ => { }, _engine.Docker))
            foreach (var image in (await local.OnlyRunAsync()).Plan.Images) await (await local.OnlyRunAsync()).Build.RunAsync(image.Name);
        var engineBefore = await EngineTagsAsync();
        var registryBefore = RegistryFiles();

        using var pipeline = NewPipeline();
        var rows = await pipeline.PlanAsync();

        Assert.All(rows, r => Assert.All(r.Stages, s => Assert.Equal(Reporting.StageSource.Local, s.Source)));
        Assert.Equal(engineBefore, await EngineTagsAsync());
        Assert.Equal(registryBefore, RegistryFiles());
        await _engine.RemoveRepositoryAsync(_repository.Name);
    }

    /// <summary>This test's tags in the engine, under either name (tests of the other lane tag images of their own meanwhile).</summary>
    private async Task<IReadOnlyList<string>> EngineTagsAsync() =>
        (await _engine.Docker.Images.ListImagesAsync()).SelectMany(i => i.RepoTags).Select(t => t.ToString())
            .Where(t => t.Contains(_repository.Name, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Every file of the registry's storage, with its size: what a write would change.</summary>
    private IReadOnlyList<string> RegistryFiles() => Directory.Exists(_registry.DataDirectory)
        ? Directory.EnumerateFiles(_registry.DataDirectory, "*", SearchOption.AllDirectories)
            .Select(f => $"{Path.GetRelativePath(_registry.DataDirectory, f)} {new FileInfo(f).Length}").Order(StringComparer.Ordinal).ToList()
        : [];

    [Fact]
    public async Task Images_built_before_without_a_registry_are_reused_under_the_registry_name_not_rebuilt()
    {
        var plain = new RunOptions { RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache") };
        using (var local = new ImagePipeline(plain, _ => { }, _engine.Docker))
            foreach (var image in (await local.OnlyRunAsync()).Plan.Images) await (await local.OnlyRunAsync()).Build.RunAsync(image.Name);

        var results = await ReleaseAsync();

        Assert.DoesNotContain("build", _docker.Calls);
        Assert.All(results, r => Assert.All(r.Stages, s => Assert.Equal(Reporting.StageSource.Local, s.Source)));
        Assert.NotNull(await RemoteAsync("k8s"));
        await _engine.RemoveRepositoryAsync(_repository.Name);
    }

    [Fact]
    public async Task A_dotfile_edit_on_a_new_machine_builds_proves_and_pushes_only_the_thin_layers()
    {
        await ReleaseAsync();
        var coresBefore = new Dictionary<string, Digest>();
        using (var first = NewPipeline())
            foreach (var image in (await first.OnlyRunAsync()).Plan.Images)
                coresBefore[image.Name] = (await RemoteAsync(image.Core.KeyTag.Tag!))!.Digest;
        await RemoveLocalAsync();
        _repo.Write("dotfiles/bashrc", "export EDITOR=vim\n");

        var results = await ReleaseAsync();

        Assert.False(Ran("package-install base"));
        Assert.False(Ran("package-install k8s"));
        Assert.Equal(2, _docker.Calls.Count(c => c == "build"));  // the two thin layers
        Assert.Equal(2, _docker.Calls.Count(c => c == "pull"));   // their cores
        Assert.Equal(2, _docker.Calls.Count(c => c == "push"));   // the two new published images
        using var second = NewPipeline();
        foreach (var image in (await second.OnlyRunAsync()).Plan.Images)
        {
            Assert.Equal(coresBefore[image.Name], (await RemoteAsync(image.Core.KeyTag.Tag!))!.Digest);
            Assert.Equal(image.Key, (await RemoteAsync(image.Name))!.Labels[ChainBuilder.KeyLabel]);
        }
        Assert.All(results, r => Assert.True(r.BytesPulled > 0 && r.BytesPushed > 0, $"{r.Name}: pulled {r.BytesPulled}, pushed {r.BytesPushed}"));
        Assert.All(results, r => Assert.Equal([Reporting.StageSource.Registry, Reporting.StageSource.Built], r.Stages.Select(s => s.Source)));
    }

    [Fact]
    public async Task A_changed_last_line_on_a_new_machine_rebuilds_only_that_core_with_its_earlier_steps_from_the_previous_core()
    {
        string K8s(string last) => $"ARG PARENT_IMAGE\nFROM ${{PARENT_IMAGE}}\nRUN echo \"MARKER package-install\" \"k8s {_nonce}\" && touch /opt/app/k8s\nRUN echo {_nonce} {last} > /opt/app/tail\n";
        _repo.Write("Dockerfiles/Dockerfile.k8s", K8s("one"));
        await ReleaseAsync();
        Digest previousCore;
        string previousTag;
        using (var first = NewPipeline())
        {
            previousTag = (await first.OnlyRunAsync()).Plan.Get("k8s").Core.KeyTag.ToString();
            previousCore = (await RemoteAsync((await first.OnlyRunAsync()).Plan.Get("k8s").Core.KeyTag.Tag!))!.Digest;
        }
        await RemoveLocalAsync();
        await BuildRecords.RemoveAsync(_nonce);
        _repo.Write("Dockerfiles/Dockerfile.k8s", K8s("two"));

        var results = await ReleaseAsync();

        Assert.False(Ran("package-install base"));
        Assert.False(Ran("package-install k8s")); // the earlier step came from the cache (the marker is its output, not its command line)
        var core = results.Single(r => r.Name == "k8s").Stages.Single(s => s.Stage == "core");
        Assert.Equal(Reporting.StageSource.Built, core.Source);
        Assert.Equal(Location.ImageName(_repository) + "@" + previousCore, core.CacheFrom);
        Assert.Equal(1, core.CachedSteps);
        Assert.Single(await _engine.Docker.Images.InspectImagesAsync([Strata.Oci.ImageReference.Parse(previousTag)])); // pulled under its key tag: prune knows it
        Assert.All(results.Single(r => r.Name == "base").Stages, s => Assert.Equal(Reporting.StageSource.Registry, s.Source));
    }

    [Fact]
    public async Task A_registry_that_dies_during_the_push_moves_no_moving_tag_and_the_next_run_finishes_the_job()
    {
        (_registry, _ownRegistry) = (await RegistryServer.StartAsync(), true);
        using (var pipeline = NewPipeline())
        {
            var k8sCore = (await pipeline.OnlyRunAsync()).Plan.Get("k8s").Core.KeyTag.ToString();
            var killed = false;
            using var dying = new ImagePipeline(
                new RunOptions { RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache"), Registry = Location },
                line =>
                {
                    lock (_log) _log.Add(line);
                    if (!killed && line.Contains("pushing " + k8sCore, StringComparison.Ordinal))
                    {
                        killed = true;
                        _registry.KillAsync().GetAwaiter().GetResult();
                    }
                }, _docker.Cli);

            var e = await Assert.ThrowsAnyAsync<Exception>(() => dying.ReleaseAsync());
            Assert.True(killed);
            Assert.Contains(_registry.Host, e.Message);
        }

        await _registry.StartProcessAsync();
        Assert.Null(await RemoteAsync("base"));
        Assert.Null(await RemoteAsync("k8s"));
        Assert.Null(await RemoteAsync("base-v1.2.0"));

        await ReleaseAsync();

        Assert.NotNull(await RemoteAsync("base"));
        Assert.NotNull(await RemoteAsync("k8s"));
        Assert.DoesNotContain("build", _docker.Calls);
    }

    [Fact]
    public async Task A_key_tag_in_the_registry_with_another_full_key_is_not_reused_nor_overwritten()
    {
        string baseTag;
        using (var plan = NewPipeline()) baseTag = (await plan.OnlyRunAsync()).Plan.Get("base").Published.KeyTag.ToString();
        // Someone else's image under our key tag: same 12 hex, another full key.
        var impostor = await new ThrowawayImages(_engine.Docker, "strata-it-impostor").BuildAsync("x",
            $"FROM {_engine.BaseOsImage}\nLABEL dev.strata.key={new string('e', 64)}\n");
        await _engine.Docker.Images.TagAsync(impostor, ImageReference.Parse(baseTag));
        await _engine.Docker.Images.PushAsync(ImageReference.Parse(baseTag), null, _ => { });
        await _engine.Docker.Images.RemoveImageAsync(Strata.Oci.ImageReference.Parse(baseTag));
        await _engine.Docker.Images.RemoveImageAsync(impostor);

        using var pipeline = NewPipeline();
        var rows = await pipeline.PlanAsync();
        Assert.Equal(Reporting.StageSource.Built, rows.Single(r => r.Name == "base").Stages.Single(s => s.Stage == "published").Source);

        var e = await Assert.ThrowsAsync<RegistryException>(() => pipeline.ReleaseAsync(Release));
        Assert.Contains("with another full key; refusing to overwrite it", e.Message);
        Assert.Equal(new string('e', 64), (await RemoteAsync(ImageReference.Parse(baseTag).Tag!))!.Labels[ChainBuilder.KeyLabel]);
        Assert.Null(await RemoteAsync("base"));
    }

    [Fact]
    public async Task A_wrong_password_is_a_clear_error_that_never_prints_the_secret()
    {
        await using var locked = await RegistryServer.StartAsync("ci", "right-pw-71");
        Environment.SetEnvironmentVariable("STRATA_REGISTRY_USER", "ci");
        try
        {
            using var pipeline = NewPipeline(locked, password: "wrong-pw-72");
            var e = await Assert.ThrowsAsync<RegistryAuthException>(() => pipeline.ReleaseAsync(Release));
            Assert.Contains($"{locked.Host} refused", e.Message);
            Assert.Contains("ci (from stdin)", e.Message);
            Assert.DoesNotContain("wrong-pw-72", e.ToString());
            Assert.DoesNotContain(_log, l => l.Contains("wrong-pw-72", StringComparison.Ordinal));
        }
        finally
        {
            Environment.SetEnvironmentVariable("STRATA_REGISTRY_USER", null);
        }
    }
}
