namespace Strata.Pipeline;

/// <summary>The options of prune.</summary>
public sealed record PruneVerbOptions
{
    /// <summary>How many earlier plans' images stay (--keep=N).</summary>
    public int Keep { get; init; } = 2;
    /// <summary>List what would go and the space it holds, remove nothing (--dry-run).</summary>
    public bool DryRun { get; init; }

    public static readonly VerbOptionNames Names = new([Targets.Prune], ["keep", "dry-run"]);

    public static PruneVerbOptions From(CommandLine commandLine)
    {
        var line = commandLine.Reading(Names.Options);
        return new PruneVerbOptions
        {
            Keep = line.NonEmpty("keep") is { } keep
                ? int.TryParse(keep, out var n) && n >= 0 ? n : throw new OptionException($"--keep={keep}: give a number of earlier plans, 0 or more.")
                : 2,
            DryRun = line.Flag("dry-run"),
        };
    }
}
