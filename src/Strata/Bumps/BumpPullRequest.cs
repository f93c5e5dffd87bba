using System.Security.Cryptography;
using System.Text;
using Octokit;
using Strata.GitHub;
using Strata.Graph;
using Strata.Packages;
using Strata.Tools;

namespace Strata.Bumps;

public enum BumpOutcome
{
    /// <summary>The default branch's lock is current; nothing was written.</summary>
    UpToDate,
    /// <summary>The default branch's lock is current and the open bump pull request was closed with a comment.</summary>
    StalePullRequestClosed,
    /// <summary>The branch and the pull request already say exactly this; nothing was written.</summary>
    AlreadyProposed,
    PullRequestOpened,
    PullRequestUpdated,
}

public sealed record BumpResult(BumpOutcome Outcome, int? PullRequest, string? Commit, string? Title);

/// <summary>
/// The bump-pr target: pins every tool against the lock on the default branch and proposes the
/// difference as ONE commit on one branch and one pull request, found again by its branch and a
/// hidden marker. Git objects are written first and the branch ref is moved last, so a failure
/// part-way leaves the branch as it was. A run that finds nothing new writes nothing.
/// </summary>
/// <param name="pinPackages">
/// Pins the packages against the new tool lock (in this checkout of the default branch) and returns what changed and the
/// files to commit beside the tool lock (repository path, content); null: tools only.
/// </param>
public sealed class BumpPullRequest(GitHubApi github, Pinner pinner, Action<string> log,
    Func<ToolLock, CancellationToken, Task<(PackagePinResult Result, IReadOnlyList<(string Path, byte[] Content)> Files)>>? pinPackages = null)
{
    private IGitHubClient Client => github.Client;

    public async Task<BumpResult> RunAsync(BumpOptions options, CancellationToken ct = default)
    {
        var (owner, name) = (options.Repository.Owner, options.Repository.Name);
        var repo = $"repos/{options.Repository}";
        var repository = await github.CallAsync("GET", repo, () => Client.Repository.Get(owner, name)).ConfigureAwait(false);
        var main = repository.DefaultBranch;
        var head = await GetBranchAsync(options, main).ConfigureAwait(false) ?? throw new GitHubApiException(
            $"GitHub API: the default branch '{main}' of {options.Repository} has no ref ({github.UrlOf($"{repo}/git/refs/heads/{main}")}).");
        var before = await ReadLockAsync(options, main).ConfigureAwait(false) ?? ToolLock.Empty;

        var tools = ToolsFile.Load(options.ToolsPath);
        var pin = await pinner.ResolveAsync(tools, before, ct: ct).ConfigureAwait(false);
        var (packages, packageFiles) = pinPackages is null ? (null, []) : await pinPackages(pin.Lock, ct).ConfigureAwait(false);
        var open = await FindPullRequestAsync(options).ConfigureAwait(false);

        if (!pin.Changed && packages is not { Changed: true })
        {
            log($"{options.LockFile} on {main} is up to date: nothing to propose.");
            if (open is null) return new BumpResult(BumpOutcome.UpToDate, null, null, null);
            await CloseStaleAsync(options, open, main).ConfigureAwait(false);
            return new BumpResult(BumpOutcome.StalePullRequestClosed, open.Number, null, null);
        }
        log((pin.Diff + (packages?.Diff() ?? "")).TrimEnd('\n'));

        // One commit: the tool lock, and the package locks when the packages are pinned too.
        IReadOnlyList<(string Path, byte[] Content)> files = [(options.LockFile, Encoding.UTF8.GetBytes(pin.Lock.ToJson())), .. packageFiles];
        var graph = GraphLoader.Load(options.ConfigPath);
        var (packagesBefore, packagesAfter) = (packages?.Previous ?? options.Packages, packages?.Lock ?? options.Packages);
        var (change, keep) = BumpDescription.Images(graph, tools, before, pin.Lock, packagesBefore, packagesAfter);
        var title = BumpDescription.Title(before, pin.Lock, packages);
        var body = BumpDescription.Body(pin, change, keep, options.LockFile, BumpDescription.ToolsPerImage(graph, tools, before, pin.Lock), packages,
            BumpDescription.Reasons(graph, tools, before, pin.Lock, packagesBefore, packagesAfter),
            BumpDescription.Chain(graph, tools, before, pin.Lock, packagesBefore, packagesAfter));

        var branch = await GetBranchAsync(options, options.Branch).ConfigureAwait(false);
        string? commit = null;
        if (branch is not null && await HoldsAsync(options, branch, head, files).ConfigureAwait(false))
            log($"{options.Branch} already holds these locks on top of {main}: no new commit.");
        else
        {
            commit = await CommitAsync(options, head, files, title).ConfigureAwait(false);
            await MoveBranchAsync(options, branch is not null, commit).ConfigureAwait(false);
            log($"{options.Branch} now at {commit[..12]}, on top of {main} ({head[..12]}).");
        }

        BumpResult result;
        if (open is null)
        {
            var created = await github.CallAsync("POST", $"{repo}/pulls",
                () => Client.PullRequest.Create(owner, name, new NewPullRequest(title, options.Branch, main) { Body = body })).ConfigureAwait(false);
            log($"opened pull request #{created.Number}: {title}");
            result = new BumpResult(BumpOutcome.PullRequestOpened, created.Number, commit, title);
        }
        else if (open.Title != title || Normalize(open.Body) != Normalize(body))
        {
            await github.CallAsync("PATCH", $"{repo}/pulls/{open.Number}",
                () => Client.PullRequest.Update(owner, name, open.Number, new PullRequestUpdate { Title = title, Body = body })).ConfigureAwait(false);
            log($"updated pull request #{open.Number}: {title}");
            result = new BumpResult(BumpOutcome.PullRequestUpdated, open.Number, commit, title);
        }
        else
        {
            log($"pull request #{open.Number} already proposes this: nothing changed.");
            result = new BumpResult(commit is null ? BumpOutcome.AlreadyProposed : BumpOutcome.PullRequestUpdated, open.Number, commit, title);
        }
        if (commit is not null && options.DispatchWorkflow is { } workflow)
            await DispatchAsync(options, workflow).ConfigureAwait(false);
        return result;
    }

    /// <summary>The commit a branch points at, or null when there is no such branch.</summary>
    private Task<string?> GetBranchAsync(BumpOptions options, string branch) =>
        github.CallAsync("GET", $"repos/{options.Repository}/git/refs/heads/{branch}",
            async () => (string?)(await Client.Git.Reference.Get(options.Repository.Owner, options.Repository.Name, $"heads/{branch}").ConfigureAwait(false)).Object.Sha,
            () => null);

    private async Task<ToolLock?> ReadLockAsync(BumpOptions options, string reference)
    {
        var files = await github.CallAsync("GET", $"repos/{options.Repository}/contents/{options.LockFile}?ref={reference}",
            () => Client.Repository.Content.GetAllContentsByRef(options.Repository.Owner, options.Repository.Name, options.LockFile, reference),
            () => []).ConfigureAwait(false);
        return files.Count == 1 ? ToolLock.Parse(files[0].Content, $"{options.LockFile} on {reference}") : null;
    }

    /// <summary>Whether the branch is one commit on top of <paramref name="head"/> whose files are exactly <paramref name="files"/>.</summary>
    private async Task<bool> HoldsAsync(BumpOptions options, string branch, string head, IReadOnlyList<(string Path, byte[] Content)> files)
    {
        var (owner, name) = (options.Repository.Owner, options.Repository.Name);
        var commit = await github.CallAsync("GET", $"repos/{options.Repository}/git/commits/{branch}",
            () => Client.Git.Commit.Get(owner, name, branch)).ConfigureAwait(false);
        if (commit.Parents.Count != 1 || commit.Parents[0].Sha != head) return false;
        foreach (var (path, content) in files)
        {
            var found = await github.CallAsync("GET", $"repos/{options.Repository}/contents/{path}?ref={branch}",
                () => Client.Repository.Content.GetAllContentsByRef(owner, name, path, branch), () => []).ConfigureAwait(false);
            if (found.Count != 1 || found[0].Sha != GitBlobSha(content)) return false;
        }
        return true;
    }

    /// <summary>Blobs, tree and commit on top of <paramref name="head"/>; nothing any branch points at yet.</summary>
    private async Task<string> CommitAsync(BumpOptions options, string head, IReadOnlyList<(string Path, byte[] Content)> files, string title)
    {
        var (owner, name) = (options.Repository.Owner, options.Repository.Name);
        var git = $"repos/{options.Repository}/git";
        var parent = await github.CallAsync("GET", $"{git}/commits/{head}", () => Client.Git.Commit.Get(owner, name, head)).ConfigureAwait(false);
        var tree = new NewTree { BaseTree = parent.Tree.Sha };
        foreach (var (path, content) in files)
        {
            var blob = await github.CallAsync("POST", $"{git}/blobs", () => Client.Git.Blob.Create(owner, name,
                new NewBlob { Content = Convert.ToBase64String(content), Encoding = EncodingType.Base64 })).ConfigureAwait(false);
            tree.Tree.Add(new NewTreeItem { Path = path, Mode = "100644", Type = TreeType.Blob, Sha = blob.Sha });
        }
        var newTree = await github.CallAsync("POST", $"{git}/trees", () => Client.Git.Tree.Create(owner, name, tree)).ConfigureAwait(false);
        var message = $"{title}\n\nPinned by Strata's bump-pr run: every tool of tools.yaml at its newest allowed release" +
                      (files.Count > 1 ? ", and every package the images install at the archive's current version.\n" : ".\n");
        var commit = await github.CallAsync("POST", $"{git}/commits",
            () => Client.Git.Commit.Create(owner, name, new NewCommit(message, newTree.Sha, head))).ConfigureAwait(false);
        return commit.Sha;
    }

    /// <summary>Moves (or creates) the branch: the one write that makes the new commit visible, so it comes last.</summary>
    private async Task MoveBranchAsync(BumpOptions options, bool exists, string commit)
    {
        var (owner, name) = (options.Repository.Owner, options.Repository.Name);
        var refs = $"repos/{options.Repository}/git/refs";
        if (!exists)
        {
            try
            {
                await Client.Git.Reference.Create(owner, name, new NewReference($"refs/heads/{options.Branch}", commit)).ConfigureAwait(false);
                return;
            }
            catch (ApiValidationException e) when (e.Message.Contains("already exists", StringComparison.OrdinalIgnoreCase))
            {
                // Another run created the branch since we looked: ours is built on the current default branch, so it wins.
                log($"{options.Branch} appeared meanwhile (another run?); moving it to this run's commit.");
            }
            catch (ApiException e)
            {
                throw GitHubApi.Failure(e, "POST", github.UrlOf(refs));
            }
        }
        await github.CallAsync("PATCH", $"{refs}/heads/{options.Branch}",
            () => Client.Git.Reference.Update(owner, name, $"heads/{options.Branch}", new ReferenceUpdate(commit, force: true))).ConfigureAwait(false);
    }

    /// <summary>The open pull request from the bump branch that carries the marker, if any.</summary>
    private async Task<PullRequest?> FindPullRequestAsync(BumpOptions options)
    {
        var pulls = await github.CallAsync("GET", $"repos/{options.Repository}/pulls",
            () => Client.PullRequest.GetAllForRepository(options.Repository.Owner, options.Repository.Name,
                new PullRequestRequest { State = ItemStateFilter.Open, Head = $"{options.Repository.Owner}:{options.Branch}" })).ConfigureAwait(false);
        return pulls.FirstOrDefault(p => p.Head?.Ref == options.Branch && (p.Body ?? "").Contains(BumpDescription.Marker, StringComparison.Ordinal));
    }

    private async Task CloseStaleAsync(BumpOptions options, PullRequest open, string main)
    {
        var (owner, name) = (options.Repository.Owner, options.Repository.Name);
        await github.CallAsync("POST", $"repos/{options.Repository}/issues/{open.Number}/comments",
            () => Client.Issue.Comment.Create(owner, name, open.Number,
                $"Closing: `{options.LockFile}` on `{main}` already pins every tool at its newest allowed release, " +
                "so this pull request has nothing left to propose (its bumps were merged another way or withdrawn upstream). " +
                "The next nightly run opens a new one when there is a bump.")).ConfigureAwait(false);
        await github.CallAsync("PATCH", $"repos/{options.Repository}/pulls/{open.Number}",
            () => Client.PullRequest.Update(owner, name, open.Number, new PullRequestUpdate { State = ItemState.Closed })).ConfigureAwait(false);
        log($"closed the stale pull request #{open.Number}.");
    }

    /// <summary>
    /// Starts the CI workflow on the branch. Needed with the workflow's own GITHUB_TOKEN, whose pushes
    /// and pull requests start no workflow; a failure is reported, not fatal (the pull request stands).
    /// </summary>
    private async Task DispatchAsync(BumpOptions options, string workflow)
    {
        try
        {
            await github.CallAsync("POST", $"repos/{options.Repository}/actions/workflows/{workflow}/dispatches",
                async () =>
                {
                    await Client.Actions.Workflows.CreateDispatch(options.Repository.Owner, options.Repository.Name, workflow,
                        new CreateWorkflowDispatch(options.Branch)).ConfigureAwait(false);
                    return true;
                }).ConfigureAwait(false);
            log($"dispatched {workflow} on {options.Branch}: its run shows on the branch's head commit.");
        }
        catch (GitHubApiException e)
        {
            log($"warning: could not dispatch {workflow} on {options.Branch}, so no CI runs on the pull request until someone pushes to it. " +
                $"{e.Message} Give the job a GitHub App installation token or a fine-grained PAT (README: bump-pr), " +
                $"or grant `actions: write` and give {workflow} a workflow_dispatch trigger.");
        }
    }

    /// <summary>GitHub normalises line ends in bodies it stores.</summary>
    private static string Normalize(string? body) => (body ?? "").Replace("\r\n", "\n").TrimEnd();

    /// <summary>The sha git gives a file's content ("blob N\0" + bytes, SHA-1): what the contents API reports.</summary>
    public static string GitBlobSha(byte[] content)
    {
        var header = Encoding.ASCII.GetBytes($"blob {content.Length}\0");
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. content]));
    }
}
