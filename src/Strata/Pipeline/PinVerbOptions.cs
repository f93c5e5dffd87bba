namespace Strata.Pipeline;

/// <summary>The options of pin (beside the run's: --skip-tools pins the packages only, --platform narrows them).</summary>
public sealed record PinVerbOptions
{
    /// <summary>Only compare, and fail with the diff when a lock is stale (--check).</summary>
    public bool Check { get; init; }
    /// <summary>Only this tool (--tool=NAME); null: every tool, then the packages.</summary>
    public string? Tool { get; init; }
    /// <summary>The GitHub API (--github-api; null: GITHUB_API_URL, else api.github.com).</summary>
    public string? GitHubApi { get; init; }

    public static readonly VerbOptionNames Names = new([Targets.Pin], ["check", "tool", "github-api"]);

    public static PinVerbOptions From(CommandLine commandLine)
    {
        var line = commandLine.Reading(Names.Options);
        return new PinVerbOptions { Check = line.Flag("check"), Tool = line.NonEmpty("tool"), GitHubApi = line.NonEmpty("github-api") };
    }
}
