using Strata.Downloads;
using Strata.GitHub;
using Strata.Tools;

namespace Strata.Bumps;

public sealed record BumpCommandOptions
{
    /// <summary>--repository=owner/name; null: GITHUB_REPOSITORY.</summary>
    public string? Repository { get; init; }
    public required string ToolsPath { get; init; }
    public required string ConfigPath { get; init; }
    /// <summary>The lock's path in the repository, relative to its root.</summary>
    public required string LockFile { get; init; }
    /// <summary>--github-api (else GITHUB_API_URL, else api.github.com).</summary>
    public string? GitHubApi { get; init; }
    public required string CacheDirectory { get; init; }
    public Uri? Mirror { get; init; }
    /// <summary>--dispatch=ci.yml: start that workflow on the branch after a new commit (for GITHUB_TOKEN).</summary>
    public string? DispatchWorkflow { get; init; }
}

/// <summary>The bump-pr target: wires the GitHub client, the download cache and the pinner, then runs <see cref="BumpPullRequest"/>.</summary>
public static class BumpCommand
{
    /// <param name="pinPackages">The package pin of this checkout against a new tool lock, with the files it wrote (null: tools only).</param>
    public static async Task<BumpResult> RunAsync(BumpCommandOptions options, Action<string> log, CancellationToken ct = default,
        Func<ToolLock, CancellationToken, Task<(Packages.PackagePinResult, IReadOnlyList<(string, byte[])>)>>? pinPackages = null)
    {
        var repository = BumpOptions.RepositoryFrom(options.Repository);
        var clientOptions = GitHubClientOptions.FromEnvironment(Path.Combine(options.CacheDirectory, "github"), options.GitHubApi, log);
        if (clientOptions.Token is null)
            throw new StrataConfigException(
                "bump-pr writes a branch and a pull request: set GITHUB_TOKEN to a token that may (contents: write, pull-requests: write); see the README's bump-pr section.");
        using var github = new GitHubApi(clientOptions);
        using var http = new HttpClient();
        using var assets = new AssetCache(Path.Combine(options.CacheDirectory, "assets"), options.Mirror, log: log);
        var pinner = new Pinner(new GitHubReleasesClient(github), assets, http, log);
        return await new BumpPullRequest(github, pinner, log, pinPackages).RunAsync(new BumpOptions
        {
            Packages = Packages.PackageLock.Load(Path.Combine(Path.GetDirectoryName(options.ConfigPath)!, Packages.PackageLock.DefaultFileName)),
            Repository = repository,
            ToolsPath = options.ToolsPath,
            ConfigPath = options.ConfigPath,
            LockFile = options.LockFile.Replace('\\', '/'),
            DispatchWorkflow = options.DispatchWorkflow,
        }, ct).ConfigureAwait(false);
    }
}
