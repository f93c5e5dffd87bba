// pin: resolve the newest allowed version of every tool through the GitHub releases API and
// write tools.lock.json (atomically). --tool=NAME pins one; --check only compares and fails
// with a readable diff when the lock is stale (for CI). Building never talks to GitHub.
using Strata.Tools;

Task(Targets.Pin)
    .Description("Pin every tool of tools.yaml into tools.lock.json (--tool=NAME, --check, --github-api=URL)")
    .Does(async () => await PinCommand.RunAsync(new PinCommandOptions
    {
        ToolsPath = options.ToolsPath,
        LockPath = options.LockPath,
        Tool = Argument<string>("tool", null),
        Check = HasArgument("check"),
        GitHubApi = Argument<string>("github-api", null),
        CacheDirectory = options.CacheDirectory,
        Mirror = options.Mirror,
    }, line => Console.WriteLine(line), stopping));
