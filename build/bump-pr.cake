// bump-pr: pin every tool against the default branch's lock, and every package of the images against it, and propose
// the difference as one commit on strata/tool-bumps and one pull request (opened, updated, or closed when stale).
// Needs GITHUB_TOKEN; the repository from --repository or GITHUB_REPOSITORY. See the README.
using Strata.Pipeline;

Task(Targets.BumpPr)
    .Description("Open or update the bump pull request: tools and packages (--repository=owner/name, --github-api=URL, --dispatch=ci.yml)")
    .Does(async () => await strata.BumpAsync(BumpPrVerbOptions.From(arguments), stopping));
