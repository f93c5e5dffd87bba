namespace Strata.Pipeline;

/// <summary>The options of bump-pr.</summary>
public sealed record BumpPrVerbOptions
{
    /// <summary>The repository to propose to (--repository=owner/name; null: GITHUB_REPOSITORY).</summary>
    public string? Repository { get; init; }
    /// <summary>A workflow to start on the branch after a new commit (--dispatch=ci.yml).</summary>
    public string? Dispatch { get; init; }
    /// <summary>The GitHub API (--github-api; null: GITHUB_API_URL, else api.github.com).</summary>
    public string? GitHubApi { get; init; }

    public static readonly VerbOptionNames Names = new([Targets.BumpPr], ["repository", "dispatch", "github-api"]);

    public static BumpPrVerbOptions From(CommandLine commandLine)
    {
        var line = commandLine.Reading(Names.Options);
        return new BumpPrVerbOptions { Repository = line.NonEmpty("repository"), Dispatch = line.NonEmpty("dispatch"), GitHubApi = line.NonEmpty("github-api") };
    }
}
