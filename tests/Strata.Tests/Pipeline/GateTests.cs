using Strata.Images;
using Strata.Pipeline;
using Strata.Registry;
using Strata.Tests.Support;
using Strata.Tests.Support.Fakes;

namespace Strata.Tests.Pipeline;

/// <summary>
/// The pipeline's gates on an in-memory engine, registry and smoke runner, in milliseconds: a never
/// proven image is never promoted, a failed smoke run remembers nothing, a release moves moving tags
/// only after the whole chain passed, and a plan changes nothing. The same gates run on the real
/// engine and registry in PipelineIntegrationTests and ReleaseIntegrationTests.
/// </summary>
public sealed class GateTests : IDisposable
{
    private readonly FakeWorld _world = new();
    private TempRepo _repo => _world.Repo;
    private FakeRegistry _registry => _world.Registry;
    private FakeEngine _engine => _world.Engine;
    private FakeSmokeRunner _smoke => _world.Smoke;

    public GateTests() => _world.WriteBaseAndK8s();

    public void Dispose() => _world.Dispose();

    private ImagePipeline NewPipeline(bool withRegistry = false) => _world.Pipeline(withRegistry);

    [Fact]
    public async Task An_image_that_never_passed_its_smoke_tests_is_never_promoted()
    {
        using var pipeline = NewPipeline();
        await (await pipeline.OnlyRunAsync()).Build.RunAsync("base");

        var e = await Assert.ThrowsAsync<PromotionRefusedException>(async () => await (await pipeline.OnlyRunAsync()).Prove.PromoteAsync("base"));

        Assert.Contains("has not passed its smoke tests", e.Message);
        Assert.DoesNotContain("acme/workstation:base", _engine.Tags);
        Assert.Empty(_smoke.Ran);
    }

    [Fact]
    public async Task A_failed_smoke_run_remembers_nothing_and_moves_no_tag()
    {
        _smoke.Failing.Add("base");
        using (var pipeline = NewPipeline())
        {
            await (await pipeline.OnlyRunAsync()).Build.RunAsync("base");
            await Assert.ThrowsAsync<SmokeFailedException>(async () => await (await pipeline.OnlyRunAsync()).Prove.ProveAndPromoteAsync("base"));
            Assert.False((await pipeline.OnlyRunAsync()).Prove.IsProven("base"));
        }
        Assert.DoesNotContain("acme/workstation:base", _engine.Tags);

        // Nothing was remembered: the next run tests it again, and a pass then moves the tag.
        _smoke.Failing.Clear();
        using (var again = NewPipeline())
            await (await again.OnlyRunAsync()).Prove.ProveAndPromoteAsync("base");
        Assert.Equal(["base", "base"], _smoke.Ran);
        Assert.Contains("acme/workstation:base", _engine.Tags);
    }

    [Fact]
    public async Task A_release_moves_no_moving_tag_until_every_image_of_the_chain_passed()
    {
        _smoke.Failing.Add("k8s");
        using (var failing = NewPipeline(withRegistry: true))
            await Assert.ThrowsAsync<SmokeFailedException>(() => failing.ReleaseAsync(FakeWorld.Release));

        Assert.DoesNotContain(_registry.Tags, t => t.StartsWith("base ") || t.StartsWith("k8s ") || t.Contains("-v1.0.0 "));
        Assert.DoesNotContain(_registry.Tags, t => t.StartsWith("k8s-")); // the failed image's key tags are not pushed either
        Assert.Contains(_registry.Tags, t => t.StartsWith("base-") && t.Contains("-proven-")); // base passed: its proof is recorded

        _smoke.Failing.Clear();
        using (var passing = NewPipeline(withRegistry: true))
        {
            await passing.ReleaseAsync(FakeWorld.Release);
            foreach (var image in (await passing.OnlyRunAsync()).Plan.Images)
            {
                var published = (await _registry.FindAsync(_registry.At(null, image.Published.KeyTag.Tag!)))!.Digest;
                Assert.Equal(published, Assert.Single(_registry.IndexOf(image.Name)!).Digest);
                Assert.Equal(published, Assert.Single(_registry.IndexOf(image.Name + "-v1.0.0")!).Digest);
            }
        }
    }

    [Fact]
    public async Task A_plan_with_a_registry_asks_and_changes_nothing_in_the_engine_or_the_registry()
    {
        // Built without the registry: a run with it adopts these images under the registry's name; a plan must not.
        using (var local = NewPipeline())
        {
            await (await local.OnlyRunAsync()).Build.RunAsync("base");
            await (await local.OnlyRunAsync()).Build.RunAsync("k8s");
        }
        var engineBefore = _engine.Tags;
        var registryBefore = _registry.Tags;
        _engine.Operations.Clear();

        using var pipeline = NewPipeline(withRegistry: true);
        var rows = await pipeline.PlanAsync();

        Assert.All(rows, r => Assert.Equal(Reporting.PlanAction.Reuse, r.Status));
        Assert.Equal(engineBefore, _engine.Tags);
        Assert.Equal(registryBefore, _registry.Tags);
        Assert.Empty(_engine.Operations);
    }

    [Fact]
    public async Task The_plan_says_where_a_vault_proof_is_looked_up_before_the_scenario_runs()
    {
        _repo.Write("Dockerfiles/k8s.smoke.yaml", "vault: true\n");

        using (var local = NewPipeline())
            await local.PlanAsync();
        Assert.Contains(_world.Log, l => l.StartsWith("Vault scenario (k8s): a proof of the image's vault fingerprint is looked up in the local cache (") &&
                                         l.EndsWith("vault-proofs), then the scenario runs"));

        _world.Log.Clear();
        using (var shared = NewPipeline(withRegistry: true))
            await shared.PlanAsync();
        Assert.Contains(_world.Log, l => l.StartsWith("Vault scenario (k8s):") &&
                                         l.EndsWith("vault-proofs), then the registry (registry.example:5000/team/acme/workstation), then the scenario runs"));
    }
}
