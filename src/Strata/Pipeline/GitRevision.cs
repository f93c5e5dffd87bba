namespace Strata.Pipeline;

/// <summary>
/// The commit checked out, read from the .git files themselves (no git process: a run that builds
/// nothing spawns nothing). Handles a branch (loose or packed ref), a detached HEAD and worktrees.
/// Null when the folder is no git checkout or the ref cannot be resolved.
/// </summary>
public static class GitRevision
{
    public static string? Read(string repositoryRoot)
    {
        var gitDir = GitDirectory(repositoryRoot);
        if (gitDir is null) return null;
        var head = ReadLine(Path.Combine(gitDir, "HEAD"));
        if (head is null) return null;
        if (!head.StartsWith("ref: ", StringComparison.Ordinal)) return IsSha(head) ? head : null;

        var name = head[5..].Trim();
        // A worktree keeps HEAD (and its own refs) in its folder, shared refs in the common one.
        var common = ReadLine(Path.Combine(gitDir, "commondir")) is { } rel ? Path.GetFullPath(Path.Combine(gitDir, rel)) : gitDir;
        foreach (var dir in new[] { gitDir, common }.Distinct())
            if (ReadLine(Path.Combine(dir, name)) is { } sha && IsSha(sha)) return sha;
        var packed = Path.Combine(common, "packed-refs");
        if (!File.Exists(packed)) return null;
        foreach (var line in File.ReadLines(packed))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length == 2 && parts[1] == name && IsSha(parts[0])) return parts[0];
        }
        return null;
    }

    private static string? GitDirectory(string root)
    {
        var dotGit = Path.Combine(root, ".git");
        if (Directory.Exists(dotGit)) return dotGit;
        // A worktree or submodule: ".git" is a file saying "gitdir: PATH".
        return ReadLine(dotGit) is { } line && line.StartsWith("gitdir: ", StringComparison.Ordinal)
            ? Path.GetFullPath(Path.Combine(root, line[8..].Trim()))
            : null;
    }

    private static string? ReadLine(string path) =>
        File.Exists(path) ? File.ReadLines(path).FirstOrDefault()?.Trim() : null;

    private static bool IsSha(string text) => text.Length is 40 or 64 && text.All(char.IsAsciiHexDigitLower);
}
