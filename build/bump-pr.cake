// bump-pr: pin every tool against the default branch's lock and propose the difference as one
// commit on strata/tool-bumps and one pull request (opened, updated, or closed when stale).
// Needs GITHUB_TOKEN; the repository from --repository or GITHUB_REPOSITORY. See the README.
using Strata.Bumps;

Task("bump-pr")
    .Description("Open or update the tool-bump pull request (--repository=owner/name, --github-api=URL, --dispatch=ci.yml)")
    .Does(async () => await BumpCommand.RunAsync(new BumpCommandOptions
    {
        Repository = Argument<string>("repository", null),
        ToolsFile = toolsFile,
        ConfigFile = Argument("config", "strata.yaml"),
        LockPath = lockFile,
        GitHubApi = Argument<string>("github-api", null),
        CacheDirectory = cacheDirectory,
        Mirror = mirrorUri,
        DispatchWorkflow = Argument<string>("dispatch", null),
    }, StrataRun.Log));
