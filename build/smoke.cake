// Smoke tests: smoke-<image> proves one image (its spec, inherited checks, generated checks and
// the vault scenario), then moves its tag; smoke proves them all. A proof is remembered by the
// image's key and the checks' own inputs, so an unchanged image is not tested twice.
using Strata.Smoke;
using Strata.Tools;

var smokeOptions = new SmokeOptions { Docker = strata.Docker };
var proofs = new SmokeProof(System.IO.Path.Combine(cacheDirectory, "proofs"));

// With --skip-tools the GitHub-released binaries are not in the images: do not ask for them.
ToolSet SmokeTools() => strata.PlanOptions.SkipBinaryTools
    ? new ToolSet(strata.PlanOptions.Tools.Path, strata.PlanOptions.Tools.Tools.Where(t => t is not BinaryTool).ToList())
    : strata.PlanOptions.Tools;

var smoke = Task("smoke").Description("Smoke-test every image and move the tags of those that pass");
foreach (var image in strata.Graph.Images)
{
    var name = image.Name;
    Task("smoke-" + name)
        .Description($"Smoke-test {name}; move {strata.Graph.Repository}:{name} when it passes")
        .IsDependentOn(name)
        .Does(async () =>
        {
            var plan = strata.Plan.Get(name);
            var proofKey = SmokeProof.Key(strata.Graph, name, plan.Key, smokeOptions, new[] { toolsFile, lockFile });
            if (proofs.IsProven(proofKey))
            {
                StrataRun.Log($"==> {name}: smoke tests passed earlier for {plan.Published.KeyTag}");
            }
            else
            {
                var result = await SmokeSuite.RunAsync(strata.Graph, name, plan.Published.KeyTag, SmokeTools(),
                    strata.PlanOptions.Lock, smokeOptions, StrataRun.Log);
                strata.SmokeResults.Add(result);
                if (!result.Passed)
                    throw new Exception($"{name}: {result.FailedCount} smoke check(s) failed; {plan.MovingTag} was not moved. Report: {result.ReportPath}");
                proofs.Record(proofKey, result);
            }
            await strata.Builder.PromoteAsync(strata.Plan, name);
        });
    smoke.IsDependentOn("smoke-" + name);
}
