// verify: before trusting a tag, check that each moving tag's manifest in --registry carries its SBOM,
// provenance and a passing smoke report under the current checks (--image=NAME for one image).
using Strata.Pipeline;

Task(Targets.Verify)
    .Description("Check that the moving tags in --registry carry their SBOM, provenance and a passing smoke report")
    .Does(async () => await strata.VerifyAsync(options.Image, stopping));
