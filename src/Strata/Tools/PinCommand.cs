using Strata.Downloads;
using Strata.GitHub;

namespace Strata.Tools;

/// <summary>What the pin target needs besides the files: where GitHub and the downloads are.</summary>
public sealed record PinCommandOptions : PinOptions
{
    /// <summary>--github-api (else GITHUB_API_URL, else api.github.com).</summary>
    public string? GitHubApi { get; init; }
    /// <summary>Strata's cache folder: GitHub answers go to github/, hashed downloads to assets/.</summary>
    public required string CacheDirectory { get; init; }
    public Uri? Mirror { get; init; }
}

/// <summary>The pin target: resolve, then write the lock, or in check mode fail when it is stale.</summary>
public static class PinCommand
{
    public static async Task<PinResult> RunAsync(PinCommandOptions options, Action<string> log, CancellationToken ct = default)
    {
        using var github = new GitHubApi(GitHubClientOptions.FromEnvironment(Path.Combine(options.CacheDirectory, "github"), options.GitHubApi, log));
        using var http = new HttpClient();
        using var assets = new AssetCache(Path.Combine(options.CacheDirectory, "assets"), options.Mirror, log: log);
        var result = await new Pinner(new GitHubReleasesClient(github), assets, http, log).PinAsync(options, ct).ConfigureAwait(false);
        if (options.Check && result.Changed)
            throw new StrataConfigException($"{options.LockPath} is stale (diff above): run ./build.sh --target=pin and commit the result.");
        return result;
    }
}
