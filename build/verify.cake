// verify: before trusting a tag, check that each moving tag's manifest in --registry carries its SBOM,
// provenance and a passing smoke report under the current checks (--image=NAME for one image).
// verify --rebuild: build the chain again here, cold and normalised, and compare it with the moving tags' images.
using Strata.Pipeline;

Task(Targets.Verify)
    .Description("Check that the moving tags in --registry carry their SBOM, provenance and a passing smoke report (--rebuild: that they rebuild bit for bit)")
    .Does(async () => await strata.VerifyAsync(VerifyVerbOptions.From(arguments), stopping));
