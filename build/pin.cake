// pin: resolve the newest allowed version of every tool through the GitHub releases API and
// write tools.lock.json (atomically). --tool=NAME pins one; --check only compares and fails
// with a readable diff when the lock is stale (for CI). Building never talks to GitHub.
using Strata.Downloads;
using Strata.GitHub;
using Strata.Tools;

static void Log(string line) => Console.WriteLine(line);

Task("pin")
    .Description("Pin every tool of tools.yaml into tools.lock.json (--tool=NAME, --check, --github-api=URL)")
    .Does(async () =>
    {
        var api = Argument<string>("github-api", null) ?? Environment.GetEnvironmentVariable("GITHUB_API_URL");
        var github = GitHubClientOptions.FromEnvironment(
            System.IO.Path.Combine(options.CacheDirectory, "github"),
            string.IsNullOrEmpty(api) ? null : new Uri(api.TrimEnd('/') + "/"),
            Log);
        using var http = new System.Net.Http.HttpClient();
        using var assets = new AssetCache(System.IO.Path.Combine(options.CacheDirectory, "assets"), options.Mirror, log: Log);
        using var client = new GitHubReleasesClient(github);
        var pinner = new Pinner(client, assets, http, Log);
        var check = HasArgument("check");
        var result = await pinner.PinAsync(new PinOptions
        {
            ToolsFile = options.ToolsPath,
            LockFile = options.LockPath,
            Tool = Argument<string>("tool", null),
            Check = check,
        });
        if (result.Changed) Console.WriteLine(result.Diff);
        if (check && result.Changed)
            throw new Exception($"{options.LockFile} is stale (diff above): run ./build.sh --target=pin and commit the result.");
        Console.WriteLine(result.Changed
            ? (result.Written ? $"{options.LockFile} updated." : $"{options.LockFile} would change.")
            : $"{options.LockFile} is up to date.");
    });
