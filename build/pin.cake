// pin: the tools of tools.yaml through the GitHub releases API into tools.lock.json, then every package the images
// install (Debian packages per image and platform, npm dependency trees) into packages.lock.json and locks/npm/.
// --tool=NAME pins one tool; --skip-tools only the packages; --check only compares and fails with a readable diff.
using Strata.Pipeline;

Task(Targets.Pin)
    .Description("Pin tools.yaml into tools.lock.json and the images' packages into packages.lock.json (--tool=NAME, --skip-tools, --check, --platform)")
    .Does(async () => await strata.PinAsync(PinVerbOptions.From(arguments), stopping));
