using Strata.GitHub;

namespace Strata.Bumps;

public sealed record BumpOptions
{
    /// <summary>owner/name: --repository, else GITHUB_REPOSITORY (as GitHub Actions sets it).</summary>
    public required RepositoryName Repository { get; init; }
    /// <summary>The checkout's tools.yaml (what to pin).</summary>
    public required string ToolsPath { get; init; }
    /// <summary>The checkout's strata.yaml (to tell which images a bump rebuilds).</summary>
    public required string ConfigPath { get; init; }
    /// <summary>The lock's path in the repository (it is read from the default branch, not from the checkout).</summary>
    public string LockFile { get; init; } = Tools.ToolLock.DefaultFileName;
    /// <summary>The checkout's package lock: the images' keys when only the tools are pinned (empty: none installs a package).</summary>
    public Packages.PackageLock Packages { get; init; } = Strata.Packages.PackageLock.Empty;
    /// <summary>The one branch bumps are committed to.</summary>
    public string Branch { get; init; } = DefaultBranch;
    /// <summary>A workflow file to dispatch on the branch after a new commit (with GITHUB_TOKEN, which starts no workflow itself); null: none.</summary>
    public string? DispatchWorkflow { get; init; }

    public const string DefaultBranch = "strata/tool-bumps";

    /// <summary>The repository from <paramref name="option"/> or else GITHUB_REPOSITORY; a clear error when neither is set.</summary>
    public static RepositoryName RepositoryFrom(string? option)
    {
        var text = option is { Length: > 0 } ? option : Environment.GetEnvironmentVariable("GITHUB_REPOSITORY");
        if (string.IsNullOrEmpty(text))
            throw new StrataConfigException("bump-pr: which repository? Pass --repository=owner/name or set GITHUB_REPOSITORY (GitHub Actions sets it).");
        try
        {
            return RepositoryName.Parse(text, "bump-pr: the repository");
        }
        catch (ArgumentException e)
        {
            throw new StrataConfigException(e.Message);
        }
    }
}
