// smoke-<image> proves one image (its spec, inherited and generated checks, the vault scenario)
// and then moves its tag; smoke proves them all. Proofs are remembered by the library.
using Strata.Pipeline;

var smoke = Task(Targets.Smoke).Description("Smoke-test every image and move the tags of those that pass").Does(() => strata.RequireConfig());
foreach (var image in graph?.Images ?? [])
{
    var name = image.Name;
    Task(Targets.SmokeOf(name))
        .Description($"Smoke-test {name}; move {graph.Repository}:{name} when it passes")
        .IsDependentOn(name)
        .Does(async () => await strata.ProveAndPromoteAsync(name, stopping));
    smoke.IsDependentOn(Targets.SmokeOf(name));
}
