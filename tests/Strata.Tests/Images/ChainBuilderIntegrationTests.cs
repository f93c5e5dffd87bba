using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Pipeline;
using Strata.Reporting;
using Strata.Tests.Support;

namespace Strata.Tests.Images;

/// <summary>A small, fast chain on the real engine: reuse, thin dotfile rebuilds, partial rebuilds, failures.</summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class ChainBuilderIntegrationTests : IAsyncLifetime
{
    private readonly EngineFixture _engine;
    private readonly TempRepo _repo = new();
    private RecordingDocker _docker = null!;
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
            // The thin layer copies the home Strata prepared (dotfiles and their links); no RUN.
            .Write("Dockerfiles/Dockerfile.dotfiles", """
                ARG PARENT_IMAGE
                FROM ${PARENT_IMAGE}
                ARG DOTFILES_HASH
                COPY .strata/home/ /root/
                """)
            .Write("config/app.conf", "level=1\n")
            .Write("dotfiles/bash/.bashrc", "export EDITOR=nvim\n");
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
        _docker?.Dispose();
        _repo.Dispose();
    }

    /// <summary>
    /// What the main job does for each image in order: build it through the pipeline, then move its
    /// tag. The tag is moved by the builder itself here (the mechanism under the pipeline's proof
    /// gate, which PipelineIntegrationTests cover), so these tests need no smoke tests.
    /// </summary>
    private async Task<(BuildPlan Plan, List<ImageResult> Results)> RunAsync(BuilderChoice builder)
    {
        _docker ??= new RecordingDocker(builder);
        _docker.Reset();
        _log.Clear();
        var options = new RunOptions { RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache") };
        using var pipeline = new ImagePipeline(options, line => { lock (_log) _log.Add(line); }, _docker.Cli);
        // As the main job does: thin layers whose core exists start together.
        await pipeline.StartThinLayersAsync((await pipeline.OnlyRunAsync()).Plan.Images.Select(i => i.Name));
        var results = new List<ImageResult>();
        foreach (var image in (await pipeline.OnlyRunAsync()).Plan.Images)
        {
            results.Add(await (await pipeline.OnlyRunAsync()).Build.RunAsync(image.Name));
            await (await pipeline.OnlyRunAsync()).Builder.PromoteAsync((await pipeline.OnlyRunAsync()).Plan, image.Name);
        }
        return ((await pipeline.OnlyRunAsync()).Plan, results);
    }

    private bool Ran(string marker) => _log.Any(l => l.Contains("MARKER " + marker));

    /// <summary>Both builders: for what each does its own way (which builder ran, its cache, its errors and steps, labels).</summary>
    public static TheoryData<BuilderChoice> Builders => [BuilderChoice.BuildKit, BuilderChoice.Classic];

    /// <summary>
    /// One builder (the one auto picks where a client can drive it): for what Strata's keys decide before any builder runs
    /// (which stages are built at all), the same whichever builds; the classic builder's COPY, labels and cache are
    /// proven by the tests above. (Both builders ran these until the suite had to fit CI's 10 minutes.)
    /// </summary>
    public static TheoryData<BuilderChoice> KeysDecide => [BuilderChoice.BuildKit];

    [Theory, MemberData(nameof(Builders))]
    public async Task A_second_run_builds_nothing_and_calls_docker_build_not_once(BuilderChoice builder)
    {
        var (_, first) = await RunAsync(builder);
        Assert.All(first, r => Assert.Equal(ImageStatus.Built, r.Status));
        Assert.Contains("build", _docker.Calls);
        // The builder asked for is the one that built: BuildKit numbers its steps "#N", the classic builder says "Step n/m".
        var steps = _log.Where(l => l.Contains("MARKER package-install base")).ToList();
        Assert.Contains(steps, l => builder == BuilderChoice.BuildKit ? l.Contains("] #") : l.Contains("] Step "));
        Assert.DoesNotContain(steps, l => builder == BuilderChoice.BuildKit ? l.Contains("] Step ") : l.Contains("] #"));

        var (_, second) = await RunAsync(builder);
        Assert.All(second, r => Assert.Equal(ImageStatus.Reused, r.Status));
        Assert.DoesNotContain("build", _docker.Calls);
        Assert.Equal(first.Select(r => r.ImageId), second.Select(r => r.ImageId));
    }

    [Theory, MemberData(nameof(KeysDecide))]
    public async Task Editing_a_dotfile_rebuilds_only_the_thin_layers_and_runs_no_package_install(BuilderChoice builder)
    {
        var (before, _) = await RunAsync(builder);
        _repo.Write("dotfiles/bash/.bashrc", "export EDITOR=vim\n");

        var (after, results) = await RunAsync(builder);

        Assert.False(Ran("package-install"), "a package install step ran after a dotfile edit:\n" + string.Join("\n", _log));
        Assert.DoesNotContain(_log, l => l.Contains("RUN ")); // the thin layers run no container at all
        Assert.Equal(before.Get("base").Core.Key, after.Get("base").Core.Key);
        Assert.Equal(before.Get("k8s").Core.Key, after.Get("k8s").Core.Key);
        Assert.All(results, r => Assert.Equal(ImageStatus.Built, r.Status));

        // The new dotfile is really in the image.
        var run = await _engine.Docker.Containers.RunContainerAsync(new ContainerOptions(), after.Get("k8s").MovingTag, ["cat", "/root/.bashrc"]);
        Assert.Equal("export EDITOR=vim", run.StdOut.Trim());
    }

    [Theory, MemberData(nameof(KeysDecide))]
    public async Task Editing_the_k8s_dockerfile_leaves_base_reused(BuilderChoice builder)
    {
        await RunAsync(builder);
        _repo.Write("Dockerfiles/Dockerfile.k8s", """
            ARG PARENT_IMAGE
            FROM ${PARENT_IMAGE}
            RUN echo "MARKER package-install k8s v2" && touch /opt/app/k8s-v2
            """);

        var (_, results) = await RunAsync(builder);

        Assert.Equal(ImageStatus.Reused, results.Single(r => r.Name == "base").Status);
        Assert.Equal(ImageStatus.Built, results.Single(r => r.Name == "k8s").Status);
        Assert.False(Ran("package-install base"));
        Assert.True(Ran("package-install k8s v2"));
    }

    [Theory, MemberData(nameof(Builders))]
    public async Task A_failing_dockerfile_surfaces_the_engine_error_and_moves_no_tag(BuilderChoice builder)
    {
        var (good, _) = await RunAsync(builder);
        var goodId = (await _engine.Docker.Images.InspectImagesAsync([good.Get("k8s").MovingTag])).Single().Id;

        _repo.Write("Dockerfiles/Dockerfile.k8s", """
            ARG PARENT_IMAGE
            FROM ${PARENT_IMAGE}
            RUN echo "this step fails on purpose" >&2 && exit 42
            """);
        var parentCore = good.Get("base").Core.KeyTag.ToString();
        var containersBefore = ContainersFrom(parentCore);
        var e = await Assert.ThrowsAsync<EngineException>(() => RunAsync(builder));

        // The failed step's container is not left behind (the classic builder keeps it without --force-rm).
        Assert.Equal(containersBefore, ContainersFrom(parentCore));
        Assert.Contains("docker build failed", e.Message);
        Assert.Contains("this step fails on purpose", e.Message);
        // The RUN step: BuildKit counts FROM and RUN; the classic builder ARG, FROM, RUN and a step per label.
        Assert.Contains(builder == BuilderChoice.BuildKit ? "at step 2/2:" : "at step 3/", e.Message);
        var plan = BuildPlanner.Plan(GraphLoader.Load(_repo.Path("strata.yaml")), new PlanOptions { HostCa = HostCaMode.Off });
        Assert.Empty(await _engine.Docker.Images.InspectImagesAsync([plan.Get("k8s").Core.KeyTag, plan.Get("k8s").Published.KeyTag]));
        Assert.Equal(goodId, (await _engine.Docker.Images.InspectImagesAsync([good.Get("k8s").MovingTag])).Single().Id);
    }

    /// <summary>
    /// Every container, running or not, of the image or an image built on it (docker ps -aq --filter ancestor=):
    /// a failed build step's container is one; other tests' containers (run side by side in other lanes) are not.
    /// </summary>
    private static IReadOnlyList<string> ContainersFrom(string image)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("docker", ["ps", "-aq", "--no-trunc", "--filter", "ancestor=" + image]) { RedirectStandardOutput = true };
        using var docker = System.Diagnostics.Process.Start(psi)!;
        var ids = docker.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().ToList();
        docker.WaitForExit();
        return ids;
    }

    [Theory, MemberData(nameof(Builders))]
    public async Task Images_carry_the_key_and_parent_key_labels(BuilderChoice builder)
    {
        var (plan, _) = await RunAsync(builder);
        var k8s = plan.Get("k8s");
        var info = (await _engine.Docker.Images.InspectImagesAsync([k8s.MovingTag])).Single();
        Assert.Equal(k8s.Key, info.Labels[ChainBuilder.KeyLabel]);
        Assert.Equal(k8s.Core.Key, info.Labels[ChainBuilder.ParentKeyLabel]);
        Assert.Equal($"{_repository}:k8s", info.Labels["org.opencontainers.image.title"]);
        var core = (await _engine.Docker.Images.InspectImagesAsync([k8s.Core.KeyTag])).Single();
        Assert.Equal(plan.Get("base").Core.Key, core.Labels[ChainBuilder.ParentKeyLabel]);
    }
}
