using System.Text.RegularExpressions;
using Strata.IO;

namespace Strata.Tests.Repository;

/// <summary>
/// The repository's shell scripts, as shellcheck must see them: every file git tracks whose first line
/// is a sh/bash shebang or a <c># shellcheck shell=</c> directive, whose name ends in .sh or .bash, or
/// that is a bash startup file. (.ci/run applies the same rule before the tests.)
/// </summary>
public static partial class ShellScripts
{
    private static readonly string[] StartupFiles = [".bashrc", ".bash_profile", ".bash_logout", ".bash_aliases", ".profile"];

    [GeneratedRegex(@"^#!\s*(\S*/)?(env\s+)?(sh|bash|dash)(\s|$)")]
    private static partial Regex ShellShebang();

    /// <summary>Whether a file of that path, whose first line is <paramref name="firstLine"/>, is a shell script.</summary>
    public static bool IsShellScript(string path, string firstLine) =>
        path.EndsWith(".sh", StringComparison.Ordinal) || path.EndsWith(".bash", StringComparison.Ordinal)
        || StartupFiles.Contains(Path.GetFileName(path))
        || ShellShebang().IsMatch(firstLine)
        || firstLine.StartsWith("# shellcheck shell=", StringComparison.Ordinal);

    /// <summary>The shell scripts git tracks under <paramref name="root"/>, as paths relative to it, in git's order.</summary>
    public static async Task<List<string>> FindAsync(string root)
    {
        var tracked = new List<string>();
        var errors = new List<string>();
        var exitCode = await ChildProcess.RunAsync("git", ["-c", "core.quotepath=off", "ls-files"], tracked.Add, errors.Add,
            CancellationToken.None, workingDirectory: root);
        if (exitCode != 0)
            throw new InvalidOperationException($"git ls-files failed in {root} (exit {exitCode}): {string.Join(" / ", errors)}");
        var scripts = new List<string>();
        foreach (var path in tracked)
        {
            var full = Path.Combine(root, path);
            if (!File.Exists(full)) continue; // deleted in the work tree, not yet in the index
            // A link to nothing in the repository (dotfiles/scripts/vault points at the image's /usr/local/bin/vault)
            // is no script here; .ci/run's [[ -f ]] skips it too.
            if (new FileInfo(full) is { LinkTarget: not null } link && link.ResolveLinkTarget(returnFinalTarget: true) is not { Exists: true }) continue;
            using var reader = new StreamReader(full);
            if (IsShellScript(path, await reader.ReadLineAsync() ?? "")) scripts.Add(path);
        }
        return scripts;
    }
}
