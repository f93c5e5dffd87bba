using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Smoke;

namespace Strata.Pipeline;

/// <summary>The vault scenario, run on its own (the vault-scenario target), did not pass.</summary>
public sealed class VaultScenarioFailedException(string message) : Exception(message);

/// <summary>
/// The vault scenario alone, on one image (built first when it must be), with its progress printed as it
/// comes: the loop for working on the vault. One platform's (<paramref name="run"/>). It proves nothing that is remembered and moves no tag. Its
/// verdict is read by the same strict reader as a smoke run's (<see cref="ScenarioTap"/>).
/// </summary>
public sealed class VaultScenarioCommand(ImageGraph graph, PlatformRun run, SmokeRunner smoke, IImageStore images, IContainerRuntime containers,
    RunOptions options, VaultScenarioVerbOptions scenario, Action<string> log)
{
    public async Task RunAsync(CancellationToken ct = default)
    {
        var image = scenario.Image ?? graph.Images[0].Name;
        if (!graph.Contains(image))
            throw new OptionException($"--image={image}: not an image of {options.ConfigFile}; give one of {string.Join(", ", graph.Images.Select(i => i.Name))}.");
        var spec = smoke.Plan(image).Spec;
        if (!spec.Vault)
            throw new OptionException($"--image={image}: its smoke spec does not say 'vault: true' (in {smoke.Options.SpecDirectory}/{image}.smoke.yaml or an ancestor's), so it has no vault to prove.");
        var scenarioDirectory = Path.Combine(graph.RootDirectory, smoke.Options.VaultDirectory);
        if (await ScenarioPlan.ProblemAsync(scenarioDirectory, spec.User, scenario.VaultChecks, scenario.VaultChecksAlone, ct) is { } problem)
            throw new OptionException(scenario.VaultChecks is { } checks ? $"--vault-checks={checks}: {problem}" : $"the vault scenario cannot run: {problem}");
        await run.Build.LineageAsync(image, ct);
        var planned = run.Plan.Get(image);
        // Each check alone runs about twice the scenario's checks, plus a reset before each: about 3 times the scenario's time
        // (a loaded machine: 48 min in two runs, where the scenario took 12 to 19 min).
        var timeout = scenario.VaultChecksAlone ? smoke.Options.VaultTimeout * 4 : smoke.Options.VaultTimeout;
        var vault = new VaultRun(planned.Published.KeyTag, spec.User, scenarioDirectory, timeout)
        {
            Runtime = options.VaultRuntime, Only = scenario.VaultChecks, Alone = scenario.VaultChecksAlone, VaultOverride = scenario.VaultOverride, Bench = scenario.VaultBench,
        };
        log($"==> {image}: vault scenario on {vault.ImageRef} as {spec.User}");
        var output = await VaultMachine.RunAsync(images, containers, vault, line => log("    " + line), ct);
        var tap = ScenarioTap.Read(output.StdOut, output.ExitCode);
        if (output.TimedOut)
            throw new VaultScenarioFailedException($"{image}: the vault scenario did not finish within {vault.Timeout.TotalMinutes:0} min.");
        if (!tap.Passed)
            throw new VaultScenarioFailedException(
                $"{image}: the vault scenario failed (exit {output.ExitCode}): {(tap.Verdict is { } verdict ? $"{ScenarioCheck.VerdictPrefix} {verdict}" : "no verdict")}" +
                (tap.Problems.Count > 0 ? $"; it {string.Join("; ", tap.Problems)}" : "") + "; the 'not ok' lines above say why.");
        log($"==> {image}: vault scenario: {tap.Verdict}");
    }
}
