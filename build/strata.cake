// Strata's build script. Targets come from strata.yaml (one per image, plus smoke-<image>) and
// from the modules beside this file; every decision is made by the Strata library
// (src/Strata/Pipeline), so these files only declare targets and call it.
//
//   ./build.sh                     build and prove the whole chain (the default target)
//   ./build.sh --target=k8s        build k8s and its ancestors (no tag moves: not proven yet)
//   ./build.sh --target=smoke      smoke-test every image (smoke-<image> for one), move the tags
//   ./build.sh --target=plan       print each image's key and whether it would be built
//   ./build.sh --target=pin        pin tools.yaml into tools.lock.json (bump-pr: as a pull request)
//   ./build.sh --target=test       run the test suite
//   ./build.sh --target=verify --registry=R   check the evidence attached to the moving tags
//   ./build.sh --target=prune      remove images no recent plan uses (--keep=N, --dry-run)
//   ./build.sh --target=vault-scenario   the vault scenario alone on base (--vault-checks=REGEX)
//   ./build.sh --tree | --dryrun   show the task graph / what would run
#r "../.build/lib/Strata.dll"
#r "../.build/lib/Strata.TestRun.dll"
#load "context.cake"
#load "images.cake"
#load "smoke.cake"
#load "plan.cake"
#load "pin.cake"
#load "bump-pr.cake"
#load "test.cake"
#load "release.cake"
#load "verify.cake"
#load "prune.cake"
#load "vault.cake"

RunTarget(Argument("target", Strata.Pipeline.Targets.Default));
