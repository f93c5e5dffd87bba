using Strata.Oci;
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Tests.Support;
using Strata.BaseOs;

namespace Strata.Tests.Images;

/// <summary>
/// Prune on the real engine, scoped to this test's own repository (other images share the engine):
/// it removes only the repository's Strata images no kept plan uses.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class ImagePrunerIntegrationTests(EngineFixture engine) : IAsyncLifetime
{
    private readonly TempRepo _repo = new();
    private readonly TempRepo _cache = new();
    private readonly ImageRepository _repository = ImageRepository.Parse("strata-it/prune-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _foreign = "strata-it/prune-other-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync()
    {
        _repo.Write("Dockerfiles/Dockerfile.base", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY config/ /opt/config/\n")
            .Write("Dockerfiles/Dockerfile.dotfiles", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nARG DOTFILES_HASH\nCOPY .strata/home/ /root/\n")
            .Write("config/app.conf", "level=1\n")
            .Write("dotfiles/bash/.bashrc", "v1\n")
            .Write("strata.yaml", $"""
                repository: {_repository}
                {engine.BaseOsYaml()}
                dotfiles: {"{"} dockerfile: Dockerfiles/Dockerfile.dotfiles, inputs: [dotfiles] {"}"}
                images:
                  - {"{"} name: base, dockerfile: Dockerfiles/Dockerfile.base, inputs: [config] {"}"}
                """);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await engine.RemoveRepositoryAsync(_repository.Name);
        await engine.RemoveRepositoryAsync(_foreign);
        _cache.Dispose();
        _repo.Dispose();
    }

    private PlanHistory History => PlanHistory.For(_cache.Root, _repository);

    /// <summary>Plans and builds the chain as the main job does, and records the plan.</summary>
    private async Task<BuildPlan> BuildAsync(string bashrc, string? config = null)
    {
        _repo.Write("dotfiles/bash/.bashrc", bashrc);
        if (config is not null) _repo.Write("config/app.conf", config);
        var plan = BuildPlanner.Plan(GraphLoader.Load(_repo.Path("strata.yaml")), new PlanOptions { HostCa = HostCaMode.Off });
        await new ChainBuilder(engine.Docker.Images, engine.Docker.Builds, EngineFixture.BaseOsOn(engine.Docker, _ => { }), new BuildOptions(), _ => { })
            .BuildImageAsync(plan, "base");
        History.Record(plan);
        return plan;
    }

    private async Task<bool> ExistsAsync(ImageLocator image) => (await engine.Docker.Images.InspectImagesAsync([image])).Count > 0;

    [Fact]
    public async Task Keeps_the_current_and_the_last_N_plans_images_moving_tags_and_images_it_did_not_make()
    {
        var first = await BuildAsync("v1\n");
        var second = await BuildAsync("v2\n", config: "level=2\n"); // a new core too
        var third = await BuildAsync("v3\n");
        var current = await BuildAsync("v4\n");
        // A moving tag on the first plan's image, and images Strata did not make or that are another repository's.
        await engine.Docker.Images.TagAsync(first.Get("base").Published.KeyTag, ImageReference.Parse($"{_repository}:base"));
        await engine.Docker.Images.TagAsync(engine.BaseOsImage, ImageReference.Parse($"{_repository}:not-strata"));
        await engine.Docker.Images.TagAsync(second.Get("base").Published.KeyTag, ImageReference.Parse($"{_foreign}:shared"));
        await engine.Docker.Images.TagAsync(third.Get("base").Published.KeyTag, ImageReference.Parse($"{_foreign}:third"));

        var pruner = new ImagePruner(engine.Docker.Images, _ => { });
        var dry = await pruner.PruneAsync(current, History, keep: 0, dryRun: true);

        // Plans 1-3 are not kept: plan 1's published image has the moving tag (and so its core stays),
        // plan 2's and 3's published images are also another repository's; plan 2's core is what 2 builds on.
        Assert.Empty(dry.Removed);
        Assert.True(await ExistsAsync(third.Get("base").Published.KeyTag), "a dry run removed something");

        await engine.Docker.Images.RemoveImageAsync(Strata.Oci.ImageReference.Parse($"{_foreign}:third"));
        dry = await pruner.PruneAsync(current, History, keep: 0, dryRun: true);
        var gone = Assert.Single(dry.Removed);
        Assert.Equal([third.Get("base").Published.KeyTag], gone.Tags);
        Assert.Equal("published", gone.Stage);
        Assert.InRange(gone.FreedBytes, 1, 1_000_000); // the thin layer alone, not the whole image
        Assert.Contains("Would remove 1 image(s)", dry.Summary());

        // Keeping one earlier plan keeps plan 3.
        Assert.Empty((await pruner.PruneAsync(current, History, keep: 1, dryRun: true)).Removed);

        var done = await pruner.PruneAsync(current, History, keep: 0, dryRun: false);
        Assert.Single(done.Removed);
        Assert.False(await ExistsAsync(third.Get("base").Published.KeyTag));
        foreach (var tag in new[]
                 {
                     current.Get("base").Published.KeyTag.ToString(), current.Get("base").Core.KeyTag.ToString(), first.Get("base").Published.KeyTag.ToString(),
                     first.Get("base").Core.KeyTag.ToString(), second.Get("base").Published.KeyTag.ToString(), second.Get("base").Core.KeyTag.ToString(),
                     $"{_repository}:base", $"{_repository}:not-strata", $"{_foreign}:shared",
                 })
            Assert.True(await ExistsAsync(ImageReference.Parse(tag)), tag + " was removed");
    }

    [Fact]
    public async Task Old_plans_images_go_children_first_and_the_space_is_the_images_own()
    {
        var old = await BuildAsync("v1\n");
        var current = await BuildAsync("v2\n", config: "level=2\n");

        var result = await new ImagePruner(engine.Docker.Images, _ => { }).PruneAsync(current, History, keep: 0, dryRun: false);

        Assert.Equal([old.Get("base").Published.KeyTag, old.Get("base").Core.KeyTag], result.Removed.Select(r => r.Tags.Single()));
        Assert.False(await ExistsAsync(old.Get("base").Core.KeyTag));
        Assert.True(await ExistsAsync(current.Get("base").Published.KeyTag));
        Assert.True(await ExistsAsync(engine.BaseOsImage));
    }
}
