// pin: resolve the newest allowed version of every tool through the GitHub releases API and
// write tools.lock.json (atomically). --tool=NAME pins one; --check only compares and fails
// with a readable diff when the lock is stale (for CI). Building never talks to GitHub.
using Strata.Downloads;
using Strata.GitHub;
using Strata.Tools;

Task("pin")
    .Description("Pin every tool of tools.yaml into tools.lock.json (--tool=NAME, --check, --github-api=URL)")
    .Does(async () =>
    {
        var api = Argument<string>("github-api", null) ?? Environment.GetEnvironmentVariable("GITHUB_API_URL");
        var options = GitHubClientOptions.FromEnvironment(
            System.IO.Path.Combine(cacheDirectory, "github"),
            string.IsNullOrEmpty(api) ? null : new Uri(api.TrimEnd('/') + "/"),
            StrataRun.Log);
        using var http = new System.Net.Http.HttpClient();
        using var assets = new AssetCache(System.IO.Path.Combine(cacheDirectory, "assets"), mirrorUri, log: StrataRun.Log);
        using var github = new GitHubReleasesClient(options);
        var pinner = new Pinner(github, assets, http, StrataRun.Log);
        var check = HasArgument("check");
        var result = await pinner.PinAsync(new PinOptions
        {
            ToolsFile = toolsFile,
            LockFile = lockFile,
            Tool = Argument<string>("tool", null),
            Check = check,
        });
        if (result.Changed) Console.WriteLine(result.Diff);
        if (check && result.Changed)
            throw new Exception($"{lockFile} is stale (diff above): run ./build.sh --target=pin and commit the result.");
        Console.WriteLine(result.Changed
            ? (result.Written ? $"{lockFile} updated." : $"{lockFile} would change.")
            : $"{lockFile} is up to date.");
    });
