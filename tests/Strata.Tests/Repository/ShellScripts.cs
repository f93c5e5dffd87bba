using Strata.IO;
using Strata.Tests.Support;

namespace Strata.Tests.Repository;

/// <summary>
/// The repository's shell scripts, as shellcheck must see them: what <c>.ci/shell-scripts</c> prints, the one finder
/// (.ci/run runs it before anything is built, so it is a script of bash and git alone).
/// </summary>
public static class ShellScripts
{
    /// <summary>The finder, in the repository this test runs from.</summary>
    public static string Finder => Path.Combine(RepositoryRoot.Find(), ".ci", "shell-scripts");

    /// <summary>The shell scripts git tracks in the repository of <paramref name="root"/>, relative to its top, in git's order.</summary>
    public static async Task<List<string>> FindAsync(string root)
    {
        var scripts = new List<string>();
        var errors = new List<string>();
        var exitCode = await ChildProcess.RunAsync("bash", [Finder, root], scripts.Add, errors.Add, CancellationToken.None);
        if (exitCode != 0)
            throw new InvalidOperationException($"{Finder} {root} failed (exit {exitCode}): {string.Join(" / ", errors)}");
        return scripts;
    }
}
