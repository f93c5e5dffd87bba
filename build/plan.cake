// plan: each image's key and whether a run would build or reuse it, without building anything.
using Strata.Pipeline;

Task(Targets.Plan)
    .Description("Print each image's key and whether it would be built or reused; write artifacts/plan.json")
    .Does(async () => await strata.PlanAsync(stopping));
