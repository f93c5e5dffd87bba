namespace Strata.Pipeline;

/// <summary>The options of vault-scenario (beside the run's: --vault-runtime, which smoke runs read too).</summary>
public sealed record VaultScenarioVerbOptions
{
    /// <summary>The image whose vault is proved (--image; null: the first image, base).</summary>
    public string? Image { get; init; }
    /// <summary>Only the checks whose name matches this extended regex, each with its set-up (--vault-checks).</summary>
    public string? VaultChecks { get; init; }
    /// <summary>Each selected check alone, from the machine's start state (--vault-checks-alone): the scenario's self-test.</summary>
    public bool VaultChecksAlone { get; init; }
    /// <summary>A vault script run instead of the image's, inside the machine under test only (--vault-override; absolute).</summary>
    public string? VaultOverride { get; init; }
    /// <summary>Count the scenario's processes and sudo calls, under User-Mode Linux (--vault-bench).</summary>
    public bool VaultBench { get; init; }

    public static readonly VerbOptionNames Names =
        new([Targets.VaultScenario], ["image", "vault-checks", "vault-checks-alone", "vault-override", "vault-bench"]);

    public static VaultScenarioVerbOptions From(CommandLine commandLine)
    {
        var line = commandLine.Reading(Names.Options);
        return new VaultScenarioVerbOptions
        {
            Image = line.NonEmpty("image"),
            VaultChecks = line.NonEmpty("vault-checks"),
            VaultChecksAlone = line.Flag("vault-checks-alone"),
            VaultOverride = line.NonEmpty("vault-override") is { } vault ? Path.GetFullPath(vault) : null,
            VaultBench = line.Flag("vault-bench"),
        };
    }
}
