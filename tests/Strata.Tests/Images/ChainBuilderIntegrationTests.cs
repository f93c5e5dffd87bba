using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Pipeline;
using Strata.Reporting;
using Strata.Tests.Support;

namespace Strata.Tests.Images;

/// <summary>A small, fast chain on the real engine: reuse, thin dotfile rebuilds, partial rebuilds, failures.</summary>
[Collection("engine")]
public sealed class ChainBuilderIntegrationTests : IAsyncLifetime
{
    private readonly EngineFixture _engine;
    private readonly TempRepo _repo = new();
    private readonly RecordingDocker _docker = new();
    private readonly string _repository = "strata-it/chain-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<string> _log = [];

    public ChainBuilderIntegrationTests(EngineFixture engine)
    {
        _engine = engine;
        // Each RUN echoes a marker: the engine prints it only when the step really runs.
        _repo.Write("Dockerfiles/Dockerfile.base", """
                ARG PARENT_IMAGE
                FROM ${PARENT_IMAGE}
                RUN echo "MARKER package-install base" && mkdir -p /opt/app
                COPY config/ /opt/app/config/
                """)
            .Write("Dockerfiles/Dockerfile.k8s", """
                ARG PARENT_IMAGE
                FROM ${PARENT_IMAGE}
                RUN echo "MARKER package-install k8s" && touch /opt/app/k8s
                """)
            .Write("Dockerfiles/Dockerfile.dotfiles", """
                ARG PARENT_IMAGE
                FROM ${PARENT_IMAGE}
                ARG DOTFILES_HASH
                COPY dotfiles/ /root/.dotfiles/
                RUN echo "MARKER dotfiles ${DOTFILES_HASH}" && cat /root/.dotfiles/bashrc
                """)
            .Write("config/app.conf", "level=1\n")
            .Write("dotfiles/bashrc", "export EDITOR=nvim\n");
    }

    public Task InitializeAsync()
    {
        _repo.Write("strata.yaml", $"""
            repository: {_repository}
            {_engine.BaseOsYaml()}
            dotfiles:
              dockerfile: Dockerfiles/Dockerfile.dotfiles
              inputs: [dotfiles]
            images:
              - {"{"} name: base, dockerfile: Dockerfiles/Dockerfile.base, inputs: [config] {"}"}
              - {"{"} name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s {"}"}
            """);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _engine.RemoveRepositoryAsync(_repository);
        _docker.Dispose();
        _repo.Dispose();
    }

    /// <summary>
    /// What the main job does for each image in order: build it through the pipeline, then move its
    /// tag. The tag is moved by the builder itself here (the mechanism under the pipeline's proof
    /// gate, which PipelineIntegrationTests cover), so these tests need no smoke tests.
    /// </summary>
    private async Task<(BuildPlan Plan, List<ImageResult> Results)> RunAsync()
    {
        _docker.Reset();
        _log.Clear();
        var options = new RunOptions { RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache") };
        using var pipeline = new ImagePipeline(options, line => { lock (_log) _log.Add(line); }, _docker.Cli);
        var results = new List<ImageResult>();
        foreach (var image in pipeline.Plan.Images)
        {
            results.Add(await pipeline.BuildAsync(image.Name));
            await pipeline.Builder.PromoteAsync(pipeline.Plan, image.Name);
        }
        return (pipeline.Plan, results);
    }

    private bool Ran(string marker) => _log.Any(l => l.Contains("MARKER " + marker));

    [Fact]
    public async Task A_second_run_builds_nothing_and_calls_docker_build_not_once()
    {
        var (_, first) = await RunAsync();
        Assert.All(first, r => Assert.Equal(ImageStatus.Built, r.Status));
        Assert.Contains("build", _docker.Calls);

        var (_, second) = await RunAsync();
        Assert.All(second, r => Assert.Equal(ImageStatus.Reused, r.Status));
        Assert.DoesNotContain("build", _docker.Calls);
        Assert.Equal(first.Select(r => r.ImageId), second.Select(r => r.ImageId));
    }

    [Fact]
    public async Task Editing_a_dotfile_rebuilds_only_the_thin_layers_and_runs_no_package_install()
    {
        var (before, _) = await RunAsync();
        _repo.Write("dotfiles/bashrc", "export EDITOR=vim\n");

        var (after, results) = await RunAsync();

        Assert.False(Ran("package-install"), "a package install step ran after a dotfile edit:\n" + string.Join("\n", _log));
        Assert.True(Ran("dotfiles"));
        Assert.Equal(before.Get("base").Core.Key, after.Get("base").Core.Key);
        Assert.Equal(before.Get("k8s").Core.Key, after.Get("k8s").Core.Key);
        Assert.All(results, r => Assert.Equal(ImageStatus.Built, r.Status));

        // The new dotfile is really in the image.
        var run = await _engine.Docker.RunContainerAsync([], after.Get("k8s").MovingTag, ["cat", "/root/.dotfiles/bashrc"]);
        Assert.Equal("export EDITOR=vim", run.StdOut.Trim());
    }

    [Fact]
    public async Task Editing_the_k8s_dockerfile_leaves_base_reused()
    {
        await RunAsync();
        _repo.Write("Dockerfiles/Dockerfile.k8s", """
            ARG PARENT_IMAGE
            FROM ${PARENT_IMAGE}
            RUN echo "MARKER package-install k8s v2" && touch /opt/app/k8s-v2
            """);

        var (_, results) = await RunAsync();

        Assert.Equal(ImageStatus.Reused, results.Single(r => r.Name == "base").Status);
        Assert.Equal(ImageStatus.Built, results.Single(r => r.Name == "k8s").Status);
        Assert.False(Ran("package-install base"));
        Assert.True(Ran("package-install k8s v2"));
    }

    [Fact]
    public async Task A_failing_dockerfile_surfaces_the_engine_error_and_moves_no_tag()
    {
        var (good, _) = await RunAsync();
        var goodId = (await _engine.Docker.InspectImagesAsync([good.Get("k8s").MovingTag])).Single().Id;

        _repo.Write("Dockerfiles/Dockerfile.k8s", """
            ARG PARENT_IMAGE
            FROM ${PARENT_IMAGE}
            RUN echo "this step fails on purpose" >&2 && exit 42
            """);
        var e = await Assert.ThrowsAsync<EngineException>(RunAsync);

        Assert.Contains("docker build failed", e.Message);
        Assert.Contains("this step fails on purpose", e.Message);
        var plan = BuildPlanner.Plan(GraphLoader.Load(_repo.Path("strata.yaml")), new PlanOptions { HostCa = HostCaMode.Off });
        Assert.Empty(await _engine.Docker.InspectImagesAsync([plan.Get("k8s").Core.KeyTag, plan.Get("k8s").Published.KeyTag]));
        Assert.Equal(goodId, (await _engine.Docker.InspectImagesAsync([good.Get("k8s").MovingTag])).Single().Id);
    }

    [Fact]
    public async Task Images_carry_the_key_and_parent_key_labels()
    {
        var (plan, _) = await RunAsync();
        var k8s = plan.Get("k8s");
        var info = (await _engine.Docker.InspectImagesAsync([k8s.MovingTag])).Single();
        Assert.Equal(k8s.Key, info.Labels[ChainBuilder.KeyLabel]);
        Assert.Equal(k8s.Core.Key, info.Labels[ChainBuilder.ParentKeyLabel]);
        Assert.Equal($"{_repository}:k8s", info.Labels["org.opencontainers.image.title"]);
        var core = (await _engine.Docker.InspectImagesAsync([k8s.Core.KeyTag])).Single();
        Assert.Equal(plan.Get("base").Core.Key, core.Labels[ChainBuilder.ParentKeyLabel]);
    }
}
