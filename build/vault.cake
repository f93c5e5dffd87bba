// vault-scenario: the vault scenario alone on one image (--image, default base), with its progress
// as it comes; for working on the vault. --vault-checks=REGEX runs only the matching checks,
// --vault-override=FILE runs another vault script in the machine under test, --vault-bench counts
// processes and sudo calls, --vault-runtime=auto|container|uml picks the machine.
using Strata.Pipeline;

Task(Targets.VaultScenario)
    .Description("Run the vault scenario on one image (--image, --vault-checks, --vault-override, --vault-runtime, --vault-bench)")
    .Does(async () => await strata.VaultScenario.RunAsync(stopping));
