// bump-pr: pin every tool against the default branch's lock and propose the difference as one
// commit on strata/tool-bumps and one pull request (opened, updated, or closed when stale).
// Needs GITHUB_TOKEN; the repository from --repository or GITHUB_REPOSITORY. See the README.
using Strata.Bumps;

Task(Targets.BumpPr)
    .Description("Open or update the tool-bump pull request (--repository=owner/name, --github-api=URL, --dispatch=ci.yml)")
    .Does(async () => await BumpCommand.RunAsync(new BumpCommandOptions
    {
        Repository = Argument<string>("repository", null),
        ToolsPath = options.ToolsPath,
        ConfigPath = options.ConfigPath,
        LockFile = options.LockFile,
        GitHubApi = Argument<string>("github-api", null),
        CacheDirectory = options.CacheDirectory,
        Mirror = options.Mirror,
        DispatchWorkflow = Argument<string>("dispatch", null),
    }, line => Console.WriteLine(line), stopping));
