// release: build what neither this engine nor the registry has, smoke-test what is new, push
// proven images, then move the moving tags in the registry (needs --registry).
using Strata.Pipeline;

Task(Targets.Release)
    .Description("Build, prove and publish the chain to --registry; moving tags move only after all passed")
    .Does(async () => await strata.Release.RunAsync());
