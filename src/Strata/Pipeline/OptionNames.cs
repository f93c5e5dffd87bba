namespace Strata.Pipeline;

/// <summary>
/// Every option Strata reads (the run's, in <see cref="RunOptions"/>, and each verb's, in its options type) and Cake's own:
/// what the build script warns about when it is given an option no target reads (a typo) or another target's.
/// </summary>
public static class OptionNames
{
    /// <summary>Cake's own options (and --target, which picks the target).</summary>
    public static readonly IReadOnlyList<string> Cake =
    [
        "target", "verbosity", "v", "tree", "showtree", "dryrun", "noop", "whatif", "exclusive", "e", "description", "showdescription",
        "debug", "d", "help", "h", "version", "ver", "info", "bootstrap", "skip-bootstrap", "invalidate-script-cache", "no-report",
    ];

    /// <summary>The options of each verb, with the targets that read them.</summary>
    public static readonly IReadOnlyList<VerbOptionNames> Verbs =
    [
        PinVerbOptions.Names, BumpPrVerbOptions.Names, TestVerbOptions.Names, ReleaseVerbOptions.Names, VerifyVerbOptions.Names,
        PruneVerbOptions.Names, VaultScenarioVerbOptions.Names,
    ];

    /// <summary>
    /// The warnings for the options given to <paramref name="commandLine"/>'s target, in the order of their names: an option
    /// no target reads is ignored as a typo; another target's option is ignored, and the warning names the target it is for.
    /// </summary>
    public static IReadOnlyList<string> Warnings(CommandLine commandLine)
    {
        var target = commandLine.Target;
        var warnings = new List<string>();
        foreach (var name in commandLine.Names.Order(StringComparer.Ordinal))
        {
            if (RunOptions.Names.Contains(name, StringComparer.OrdinalIgnoreCase) || Cake.Contains(name, StringComparer.OrdinalIgnoreCase)) continue;
            var owners = Verbs.Where(v => v.Options.Contains(name, StringComparer.OrdinalIgnoreCase)).ToList();
            if (owners.Count == 0)
                warnings.Add($"--{name} is not an option of Strata or Cake and is ignored (a typo?).");
            else if (!owners.Any(v => v.Serves(target)))
                warnings.Add($"--{name} is an option of {string.Join(" and of ", owners.Select(v => v.Describe()))}, not of --target={target}, and is ignored.");
        }
        return warnings;
    }
}
