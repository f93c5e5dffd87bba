// release: per platform (--platform, default every declared one), build what neither this engine nor
// the registry has, smoke-test what is new, push proven images; then the moving tags become indexes
// of every platform's image (needs --registry). release-index: only that last step, for the images
// each platform's own runner released.
using Strata.Pipeline;

Task(Targets.Release)
    .Description("Build, prove and publish the chain to --registry per platform; moving tags become indexes only after all passed")
    .Does(async () => await strata.ReleaseAsync(ReleaseVerbOptions.From(arguments), stopping));

Task(Targets.ReleaseIndex)
    .Description("Make the moving tags indexes of every platform's proven images in --registry (built and pushed elsewhere)")
    .Does(async () => await strata.ReleaseIndexAsync(ReleaseVerbOptions.From(arguments), stopping));
