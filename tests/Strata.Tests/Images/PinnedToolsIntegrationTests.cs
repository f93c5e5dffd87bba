using Strata.Engine;
using System.Text.Json.Nodes;
using Strata.Downloads;
using Strata.GitHub;
using Strata.Graph;
using Strata.Images;
using Strata.Tests.Support;
using Strata.Tools;
using Strata.BaseOs;

namespace Strata.Tests.Images;

/// <summary>
/// The k8s image of a small chain built from tools pinned against the stand-in GitHub server:
/// binaries are fetched and verified on the host, and the built image reports the locked versions.
/// With a dotfiles layer they ride on the thin layers, so a bump rebuilds no core.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class PinnedToolsIntegrationTests : IAsyncLifetime
{
    private readonly EngineFixture _engine;
    private readonly TempRepo _repo = new();
    private readonly TempRepo _cache = new();
    private readonly string _repository = "strata-it/tools-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _log = [];
    private readonly string _nonce = "strata-it-tools-" + Guid.NewGuid().ToString("N")[..12];
    private StandInServer _server = null!;

    public PinnedToolsIntegrationTests(EngineFixture engine) => _engine = engine;

    // Real binaries cannot be had here; a shell script that prints its version is what matters.
    private static byte[] Tool(string name, string version) => Fixtures.Bytes($"#!/bin/sh\necho \"{name} version {version}\"\n");

    public async Task InitializeAsync()
    {
        _server = await StandInServer.StartAsync();
        ServeHelm("3.19.1");
        ServeTalosctl("1.13.8");

        _repo.Write("Dockerfiles/Dockerfile.base", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nRUN true\n")
            .Write("Dockerfiles/Dockerfile.k8s", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY .strata/tools/ /usr/local/bin/\n")
            .Write("strata.yaml", $"""
                repository: {_repository}
                {_engine.BaseOsYaml()}
                images:
                  - {"{"} name: base, dockerfile: Dockerfiles/Dockerfile.base {"}"}
                  - {"{"} name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s {"}"}
                """)
            .Write("tools.yaml", $$"""
                tools:
                {{Fixtures.HelmTool(_server.BaseUrl, "[3.0.0,4.0.0)")}}
                  - name: talosctl
                    repository: siderolabs/talos
                    image: k8s
                    asset: talosctl-linux-{arch}
                    format: raw
                    sha256: { checksums_file: sha256sum.txt }
                """);
    }

    public async Task DisposeAsync()
    {
        await _engine.RemoveRepositoryAsync(_repository);
        await BuildRecords.RemoveAsync(_nonce);
        await _server.DisposeAsync();
        _cache.Dispose();
        _repo.Dispose();
    }

    private void ServeHelm(string version)
    {
        foreach (var arch in ToolSpec.Architectures)
        {
            var name = $"helm-v{version}-linux-{arch}.tar.gz";
            var content = Fixtures.TarGz(($"linux-{arch}/helm", Tool("helm", version)));
            _server.Bytes("/helm/" + name, content);
            _server.Text($"/helm/{name}.sha256sum", $"{Fixtures.Sha256(content)}  {name}\n");
        }
        _server.Json("/repos/helm/helm/releases?per_page=100", Fixtures.Releases(
            Fixtures.Release("v4.0.0"), Fixtures.Release("v" + version), Fixtures.Release("v3.18.0")));
    }

    private void ServeTalosctl(string version)
    {
        var assets = new List<JsonObject>();
        var sums = "";
        foreach (var arch in ToolSpec.Architectures)
        {
            var name = $"talosctl-linux-{arch}";
            var content = Tool("talosctl", version);
            _server.Bytes("/dl/" + name, content);
            assets.Add(Fixtures.Asset(name, _server.Url("/dl/" + name), content));
            sums += $"{Fixtures.Sha256(content)}  {name}\n";
        }
        _server.Text("/dl/sha256sum.txt", sums);
        assets.Add(Fixtures.Asset("sha256sum.txt", _server.Url("/dl/sha256sum.txt")));
        _server.Json("/repos/siderolabs/talos/releases?per_page=100", Fixtures.Releases(
            Fixtures.Release("v" + version, false, false, [.. assets])));
    }

    private async Task<PinResult> PinAsync()
    {
        using var http = new HttpClient();
        using var github = new GitHubApi(new GitHubClientOptions { ApiBaseUrl = new Uri(_server.BaseUrl), MaxRetries = 1 });
        using var assets = new AssetCache(Path.Combine(_cache.Root, "pin"), http: http);
        return await new Pinner(new GitHubReleasesClient(github), assets, http).PinAsync(new PinOptions
        {
            ToolsPath = _repo.Path("tools.yaml"),
            LockPath = _repo.Path("tools.lock.json"),
        });
    }

    private Task<BuildPlan> BuildK8sAsync(string cacheName) => BuildAsync(cacheName, "base", "k8s");

    private async Task<BuildPlan> BuildAsync(string cacheName, params string[] images)
    {
        var plan = BuildPlanner.Plan(GraphLoader.Load(_repo.Path("strata.yaml")), new PlanOptions
        {
            HostCa = HostCaMode.Off,
            Tools = ToolsFile.Load(_repo.Path("tools.yaml")),
            Lock = ToolLock.Load(_repo.Path("tools.lock.json")),
        });
        using var assets = new AssetCache(Path.Combine(_cache.Root, cacheName));
        Action<string> log = line => { lock (_log) _log.Add(line); };
        var builder = new ChainBuilder(_engine.Docker.Images, _engine.Docker.Builds, EngineFixture.BaseOsOn(_engine.Docker, log), new BuildOptions { Assets = assets }, log);
        foreach (var image in images) await builder.BuildImageAsync(plan, image);
        return plan;
    }

    [Fact]
    public async Task The_built_image_reports_the_versions_pinned_against_the_stand_in()
    {
        var first = await PinAsync();
        var lockBytes = await File.ReadAllBytesAsync(_repo.Path("tools.lock.json"));
        var second = await PinAsync();
        Assert.True(first.Changed);
        Assert.False(second.Changed);
        Assert.Equal(lockBytes, await File.ReadAllBytesAsync(_repo.Path("tools.lock.json")));
        Assert.Equal("3.19.1", first.Lock.Get("helm").Version);

        var plan = await BuildK8sAsync("build");

        var tag = plan.Get("k8s").Published.KeyTag.ToString();
        var helm = await _engine.Docker.Containers.RunContainerAsync(new ContainerOptions(), Strata.Oci.ImageReference.Parse(tag), ["helm"]);
        var talosctl = await _engine.Docker.Containers.RunContainerAsync(new ContainerOptions(), Strata.Oci.ImageReference.Parse(tag), ["talosctl"]);
        Assert.Equal("helm version 3.19.1", helm.StdOut.Trim());
        Assert.Equal("talosctl version 1.13.8", talosctl.StdOut.Trim());
    }

    [Fact]
    public async Task With_a_dotfiles_layer_a_tool_bump_rebuilds_only_thin_layers_and_no_package_install()
    {
        _repo.Write("Dockerfiles/Dockerfile.k8s", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\n")
            // The nonce: no earlier run's layer cache may serve this step.
            .Write("Dockerfiles/Dockerfile.gemini", $"ARG PARENT_IMAGE\nFROM ${{PARENT_IMAGE}}\nRUN echo \"MARKER\" \"package-install gemini {_nonce}\"\n")
            .Write("Dockerfiles/Dockerfile.dotfiles",
                "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY .strata/tools/ /usr/local/bin/\nCOPY .strata/home/ /home/dev/\n")
            .WriteBashrc()
            .Write("strata.yaml", ChainFiles.StrataYaml(_repository, _engine.BaseOsYaml(), "base", "k8s", "gemini"));
        await PinAsync();
        await BuildAsync("first", "base", "k8s", "gemini");
        Assert.Contains(_log, l => l.Contains("MARKER package-install gemini", StringComparison.Ordinal));

        ServeHelm("3.19.2");
        await PinAsync();
        _log.Clear();
        var plan = await BuildAsync("second", "base", "k8s", "gemini");

        Assert.DoesNotContain(_log, l => l.Contains("building core", StringComparison.Ordinal));
        Assert.DoesNotContain(_log, l => l.Contains("MARKER package-install gemini", StringComparison.Ordinal));
        Assert.Contains("==> base: reused " + plan.Get("base").Published.KeyTag, _log);
        var gemini = plan.Get("gemini").Published.KeyTag.ToString();
        var helm = await _engine.Docker.Containers.RunContainerAsync(new ContainerOptions(), Strata.Oci.ImageReference.Parse(gemini), ["helm"]);
        var talosctl = await _engine.Docker.Containers.RunContainerAsync(new ContainerOptions(), Strata.Oci.ImageReference.Parse(gemini), ["talosctl"]);
        Assert.Equal("helm version 3.19.2", helm.StdOut.Trim());
        Assert.Equal("talosctl version 1.13.8", talosctl.StdOut.Trim());
    }

    [Fact]
    public async Task A_tampered_asset_fails_the_build_with_the_sha256_error_and_tags_nothing()
    {
        await PinAsync();
        var name = "helm-v3.19.1-linux-amd64.tar.gz";
        var tampered = Fixtures.TarGz(("linux-amd64/helm", Tool("helm", "6.6.6 (tampered)")));
        _server.Bytes("/helm/" + name, tampered);

        var e = await Assert.ThrowsAsync<ChecksumMismatchException>(() => BuildK8sAsync("cold"));

        Assert.Contains("tool 'helm' (amd64)", e.Message);
        Assert.Contains($"expected {ToolLock.Load(_repo.Path("tools.lock.json")).Get("helm").Assets["amd64"].Sha256}, got {Fixtures.Sha256(tampered)}", e.Message);
        var plan = BuildPlanner.Plan(GraphLoader.Load(_repo.Path("strata.yaml")), new PlanOptions
        {
            HostCa = HostCaMode.Off,
            Tools = ToolsFile.Load(_repo.Path("tools.yaml")),
            Lock = ToolLock.Load(_repo.Path("tools.lock.json")),
        });
        Assert.Empty(await _engine.Docker.Images.InspectImagesAsync(
            [plan.Get("k8s").Core.KeyTag, plan.Get("k8s").Published.KeyTag, plan.Get("k8s").MovingTag]));
        var left = Directory.Exists(Path.Combine(_cache.Root, "cold"))
            ? Directory.GetFiles(Path.Combine(_cache.Root, "cold"), "*", SearchOption.AllDirectories)
            : [];
        Assert.True(left.Length == 0, "the cache kept: " + string.Join(", ", left));
    }
}
