using System.Diagnostics;
using Strata.Pipeline;
using Strata.Tests.Support;

namespace Strata.Tests.Pipeline;

/// <summary>The revision is read from .git without running git; the tests ask real git what it should be.</summary>
public sealed class GitRevisionTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private string Git(params string[] args) => GitIn(_repo.Root, args);

    private static string GitIn(string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-c", "user.name=t", "-c", "user.email=t@example.com", .. args]) psi.ArgumentList.Add(a);
        using var git = Process.Start(psi)!;
        var output = git.StandardOutput.ReadToEnd();
        var error = git.StandardError.ReadToEnd();
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', args)}: {error}");
        return output.Trim();
    }

    [Fact]
    public void A_branch_a_packed_ref_a_detached_head_and_a_worktree_all_give_the_commit()
    {
        Git("init", "-q", "-b", "main");
        _repo.Write("a.txt", "1\n");
        Git("add", "a.txt");
        Git("commit", "-q", "-m", "one");
        Assert.Equal(Git("rev-parse", "HEAD"), GitRevision.Read(_repo.Root));

        Git("pack-refs", "--all");
        Assert.False(File.Exists(_repo.Path(".git/refs/heads/main")));
        Assert.Equal(Git("rev-parse", "HEAD"), GitRevision.Read(_repo.Root));

        var first = Git("rev-parse", "HEAD");
        _repo.Write("a.txt", "2\n");
        Git("commit", "-q", "-am", "two");
        Git("checkout", "-q", first);
        Assert.Equal(first, GitRevision.Read(_repo.Root));

        Git("checkout", "-q", "main");
        var worktree = _repo.Path("wt");
        Git("worktree", "add", "-q", "-b", "side", worktree);
        Assert.Equal(GitIn(worktree, "rev-parse", "HEAD"), GitRevision.Read(worktree));
    }

    [Fact]
    public void A_folder_that_is_no_checkout_has_no_revision() => Assert.Null(GitRevision.Read(_repo.Root));
}
