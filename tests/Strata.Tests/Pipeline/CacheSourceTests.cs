using Strata.Engine;
using Strata.Images;
using Strata.Pipeline;
using Strata.Registry;
using Strata.Reporting;
using Strata.Tests.Support;
using Strata.Tests.Support.Fakes;

namespace Strata.Tests.Pipeline;

/// <summary>
/// A changed core builds with its previous version as layer cache (the core under the moving tag), found in
/// the engine or, on a new machine, in the registry (pulled by digest, and only that core); the plan and the
/// build report name it. On the in-memory engine and registry; the builders' side is in CacheFromIntegrationTests.
/// </summary>
public sealed class CacheSourceTests : IDisposable
{
    private readonly FakeWorld _world = new();
    private TempRepo _repo => _world.Repo;
    private FakeRegistry _registry => _world.Registry;
    private FakeEngine _engine => _world.Engine;

    public CacheSourceTests() => _world.WriteBaseAndK8s(baseRun: "echo base", k8sRun: "echo k8s");

    public void Dispose() => _world.Dispose();

    private ImagePipeline NewPipeline(bool withRegistry = false, bool noCache = false) =>
        _world.Pipeline(withRegistry, o => o with { NoCache = noCache });

    /// <summary>Builds and promotes the chain as it is; returns base's core tag.</summary>
    private async Task<string> PromoteChainAsync()
    {
        using var pipeline = NewPipeline();
        foreach (var image in (await pipeline.OnlyRunAsync()).Plan.Images) await (await pipeline.OnlyRunAsync()).Prove.ProveAndPromoteAsync(image.Name);
        return (await pipeline.OnlyRunAsync()).Plan.Get("base").Core.KeyTag.ToString();
    }

    private BuildRequest CoreBuild(string image) =>
        _engine.Requests.Last(r => r.Labels[ChainBuilder.ImageLabel] == image && r.Labels[ChainBuilder.StageLabel] == "core");

    [Fact]
    public async Task A_changed_core_builds_with_the_core_under_its_moving_tag_and_the_report_says_so()
    {
        var previous = await PromoteChainAsync();
        _repo.Write("Dockerfiles/Dockerfile.base", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nRUN echo base\nRUN echo changed\n");

        using var pipeline = NewPipeline();
        var result = await (await pipeline.OnlyRunAsync()).Build.RunAsync("base");

        Assert.Equal([previous], CoreBuild("base").CacheFrom.Select(r => r.ToString()));
        Assert.True(CoreBuild("base").InlineCache);
        var published = _engine.Requests.Last(r => r.Labels[ChainBuilder.StageLabel] == "published");
        Assert.Empty(published.CacheFrom); // a thin layer is COPY-only: nothing to reuse
        Assert.False(published.InlineCache);
        var core = result.Stages.Single(s => s.Stage == "core");
        Assert.Equal((previous, 1), (core.CacheFrom, core.CachedSteps)); // the fake serves one step per cache source
        Assert.Null(result.Stages.Single(s => s.Stage == "published").CacheFrom);
    }

    [Fact]
    public async Task Without_a_moving_tag_the_newest_core_the_plan_history_names_is_the_cache_source()
    {
        string previous;
        using (var first = NewPipeline())
        {
            await (await first.OnlyRunAsync()).Build.RunAsync("base"); // built, never promoted: no moving tag
            first.Reports.Write();             // the end of a run records its plan
            previous = (await first.OnlyRunAsync()).Plan.Get("base").Core.KeyTag.ToString();
        }
        Assert.DoesNotContain("acme/workstation:base", _engine.Tags);
        _repo.Write("Dockerfiles/Dockerfile.base", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nRUN echo base\nRUN echo changed\n");

        using var pipeline = NewPipeline();
        await (await pipeline.OnlyRunAsync()).Build.RunAsync("base");

        Assert.Equal([previous], CoreBuild("base").CacheFrom.Select(r => r.ToString()));
    }

    [Fact]
    public async Task Without_a_previous_version_or_with_no_cache_no_cache_source_is_given()
    {
        using (var first = NewPipeline())
        {
            var result = await (await first.OnlyRunAsync()).Build.RunAsync("base");
            Assert.Empty(CoreBuild("base").CacheFrom);
            Assert.True(CoreBuild("base").InlineCache); // every core carries the inline cache for its next version
            Assert.Equal(0, result.Stages.Single(s => s.Stage == "core").CachedSteps);
        }

        await PromoteChainAsync();
        _repo.Write("Dockerfiles/Dockerfile.base", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nRUN echo other\n");
        using var cold = NewPipeline(noCache: true);
        await (await cold.OnlyRunAsync()).Build.RunAsync("base");
        Assert.True(CoreBuild("base").NoCache);
        Assert.Empty(CoreBuild("base").CacheFrom);
    }

    [Fact]
    public async Task On_a_new_machine_the_previous_core_is_pulled_by_digest_from_the_registry_and_only_it()
    {
        using (var release = NewPipeline(withRegistry: true)) await release.ReleaseAsync();
        string previousK8s;
        using (var plan = NewPipeline(withRegistry: true)) previousK8s = (await plan.OnlyRunAsync()).Plan.Get("k8s").Core.KeyTag.Tag!;

        _world.NewMachine(); // a new machine: the registry only
        _repo.Write("Dockerfiles/Dockerfile.k8s", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nRUN echo k8s\nRUN echo changed\n");
        using var pipeline = NewPipeline(withRegistry: true);

        var planned = await pipeline.PlanAsync();
        var plannedCore = planned.Single(p => p.Name == "k8s").Stages.Single(s => s.Stage == "core");
        var digest = (await _registry.FindAsync(_registry.At(null, previousK8s)))!.Digest;
        Assert.Equal($"registry.example:5000/team/acme/workstation@{digest}", plannedCore.CacheFrom);
        Assert.DoesNotContain(_engine.Operations, o => o.StartsWith("pull")); // a plan pulls nothing

        await (await pipeline.OnlyRunAsync()).Build.RunAsync("k8s");

        Assert.Equal([plannedCore.CacheFrom], CoreBuild("k8s").CacheFrom.Select(r => r.ToString()));
        // base's core (the parent) and k8s's previous core, each by digest; nothing else.
        var pulls = _engine.Operations.Where(o => o.StartsWith("pull")).ToList();
        Assert.Equal(2, pulls.Count);
        Assert.Contains($"pull {plannedCore.CacheFrom}", pulls);
        Assert.All(pulls, p => Assert.Contains("@sha256:", p));
        Assert.Contains($"registry.example:5000/team/acme/workstation:{previousK8s}", _engine.Tags); // kept under its key tag, not untagged
    }

    [Fact]
    public async Task A_moving_tag_of_another_image_or_a_core_with_another_key_is_not_used()
    {
        var previous = await PromoteChainAsync();
        // The moving tag now names k8s's image (say, retagged by hand), and base's old core carries another key.
        await _engine.TagAsync(Strata.Oci.ImageReference.Parse("acme/workstation:k8s"), Strata.Oci.ImageReference.Parse("acme/workstation:base"));
        _repo.Write("Dockerfiles/Dockerfile.base", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nRUN echo changed\n");
        using (var pipeline = NewPipeline()) await (await pipeline.OnlyRunAsync()).Build.RunAsync("base");
        Assert.Empty(CoreBuild("base").CacheFrom);

        // The moving tag names base's published image, but the core its parent key names carries another full key.
        _world.NewMachine();
        var previousKey = new string('b', 64);
        _engine.Add(new Dictionary<string, string>
        {
            [ChainBuilder.ImageLabel] = "base", [ChainBuilder.StageLabel] = "published", [ChainBuilder.ParentKeyLabel] = previousKey,
        }, "acme/workstation:base");
        _engine.Add(new Dictionary<string, string> { [ChainBuilder.KeyLabel] = new('c', 64) }, "acme/workstation:base-core-bbbbbbbbbbbb");
        using (var pipeline = NewPipeline()) await (await pipeline.OnlyRunAsync()).Build.RunAsync("base");
        Assert.Empty(CoreBuild("base").CacheFrom);
        Assert.NotEqual("acme/workstation:base-core-bbbbbbbbbbbb", previous);
    }
}
