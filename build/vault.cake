// vault-scenario: the vault scenario alone on one image (--image, default base), with its progress
// as it comes; for working on the vault. --vault-checks=REGEX runs only the matching checks (each
// with its set-up), --vault-checks-alone runs each (selected) check alone from a reset machine (the
// scenario's self-test), --vault-override=FILE runs another vault script in the machine under test, --vault-bench counts
// processes and sudo calls, --vault-runtime=auto|container|uml picks the machine.
using Strata.Pipeline;

Task(Targets.VaultScenario)
    .Description("Run the vault scenario on one image (--image, --vault-checks, --vault-checks-alone, --vault-override, --vault-runtime, --vault-bench)")
    .Does(async () => await strata.VaultScenarioAsync(VaultScenarioVerbOptions.From(arguments), stopping));
