// Strata's entry point. Tasks come from strata.yaml (one per image) and from the modules in
// build/; the work itself is done by the Strata library, so this script stays thin.
//
//   ./build.sh                     build and prove the whole chain (the default target)
//   ./build.sh --target=k8s        build k8s and its ancestors (no tag moves: not proven yet)
//   ./build.sh --target=smoke      smoke-test every image (smoke-<image> for one), move the tags
//   ./build.sh --target=plan       print each image's key and whether it would be built
//   ./build.sh --target=pin        pin tools.yaml into tools.lock.json (bump-pr: as a pull request)
//   ./build.sh --target=test       run the test suite
//   ./build.sh --tree | --dryrun   show the task graph / what would run
#r ".build/lib/Strata.dll"
#load "build/context.cake"
#load "build/images.cake"
#load "build/smoke.cake"
#load "build/plan.cake"
#load "build/pin.cake"
#load "build/bump-pr.cake"
#load "build/test.cake"

RunTarget(Argument("target", "Default"));
