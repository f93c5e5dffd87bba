using System.Text.RegularExpressions;

namespace Strata.Packages;

/// <summary>
/// What an image's Dockerfile installs from the Debian archive: the package names of its <c>apt-get install</c>
/// commands, read from the Dockerfile itself (the one place they are written: the lock says which versions, never
/// which packages).
/// </summary>
/// <param name="NoInstallRecommends">Every install says <c>--no-install-recommends</c> (the resolution must do the same).</param>
public sealed partial record AptInstall(IReadOnlyList<string> Packages, bool NoInstallRecommends)
{
    /// <summary>The folder of the build context Strata fills with the image's lock (apt configuration, pins, the .deb check).</summary>
    public const string ContextDirectory = ".strata/apt";

    /// <summary>Where the Dockerfile copies <see cref="ContextDirectory"/> to in the image.</summary>
    public const string ImageDirectory = "/usr/local/share/strata/apt";

    /// <summary>The lines a Dockerfile needs before its first apt-get install, so apt installs exactly the lock.</summary>
    public static readonly string RequiredLines =
        $"COPY {ContextDirectory}/ {ImageDirectory}/\nARG APT_CONFIG={ImageDirectory}/apt.conf";

    /// <summary>Reads a Dockerfile's apt-get installs; null when it installs nothing from the archive.</summary>
    /// <exception cref="StrataConfigException">A package list Strata cannot read exactly, or a Dockerfile that does not use the lock.</exception>
    public static AptInstall? Read(string dockerfile, string fileName)
    {
        var packages = new List<string>();
        var noRecommends = true;
        var found = false;
        var copiesLock = false;
        var setsConfig = false;
        foreach (var (line, instruction) in Instructions(dockerfile))
        {
            var keyword = instruction.Split(' ', 2)[0].ToUpperInvariant();
            if (keyword == "COPY" && instruction.Contains($" {ContextDirectory}/ {ImageDirectory}/", StringComparison.Ordinal)) copiesLock = true;
            if (keyword == "ARG" && instruction.Contains($"APT_CONFIG={ImageDirectory}/apt.conf", StringComparison.Ordinal)) setsConfig = true;
            if (keyword != "RUN") continue;
            foreach (var command in Commands(instruction[3..]))
            {
                if (InstallArguments(command) is not { } arguments) continue;
                if (!copiesLock || !setsConfig)
                    throw new StrataConfigException(
                        $"{fileName}: line {line}: apt-get install runs without the package lock. Add these lines before it, so apt " +
                        $"installs exactly the versions of {PackageLock.DefaultFileName}:\n  {RequiredLines.Replace("\n", "\n  ")}");
                found = true;
                var recommends = true;
                foreach (var word in arguments)
                {
                    if (word is "--no-install-recommends") recommends = false;
                    else if (word.StartsWith('-')) continue;
                    else if (word.Contains('$') || word.Contains('`') || word.Contains('*') || word.Contains('"') || word.Contains('\''))
                        throw new StrataConfigException(
                            $"{fileName}: line {line}: '{word}' in apt-get install is not a package name Strata can read: " +
                            "list the packages literally (the lock resolves exactly what the Dockerfile names).");
                    else if (word.Contains('='))
                        throw new StrataConfigException(
                            $"{fileName}: line {line}: '{word}': versions are pinned in {PackageLock.DefaultFileName}, not in the " +
                            $"Dockerfile; write the name alone ('{word.Split('=')[0]}') and run ./build.sh --target=pin.");
                    else if (!PackageName().IsMatch(word))
                        throw new StrataConfigException($"{fileName}: line {line}: '{word}' is not a Debian package name.");
                    else if (!packages.Contains(word)) packages.Add(word);
                }
                noRecommends &= !recommends;
            }
        }
        return found ? new AptInstall(packages, noRecommends) : null;
    }

    /// <summary>The arguments after "install" when a command is apt-get/apt install; null otherwise.</summary>
    private static IReadOnlyList<string>? InstallArguments(IReadOnlyList<string> words)
    {
        var start = words.ToList().FindIndex(w => w is "apt-get" or "apt");
        if (start < 0) return null;
        var rest = words.Skip(start + 1).ToList();
        var verb = rest.FindIndex(w => !w.StartsWith('-'));
        if (verb < 0 || rest[verb] != "install") return null;
        return rest.Where((_, i) => i != verb).ToList();
    }

    /// <summary>The shell commands of a RUN line, each as words, split at &amp;&amp;, ||, ;, | and parentheses.</summary>
    private static IEnumerable<IReadOnlyList<string>> Commands(string shell)
    {
        var words = new List<string>();
        foreach (var token in Separator().Split(shell))
        {
            if (Separator().IsMatch(token))
            {
                if (words.Count > 0) yield return words;
                words = [];
                continue;
            }
            words.AddRange(token.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
        }
        if (words.Count > 0) yield return words;
    }

    /// <summary>The Dockerfile's instructions with their first line number, continuation lines joined and comments dropped.</summary>
    private static IEnumerable<(int Line, string Text)> Instructions(string dockerfile)
    {
        var lines = dockerfile.Replace("\r\n", "\n").Split('\n');
        var current = "";
        var start = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.StartsWith('#')) continue;
            if (current.Length == 0)
            {
                if (line.Length == 0) continue;
                start = i + 1;
            }
            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }
            current += line;
            yield return (start, current.Trim());
            current = "";
        }
        if (current.Length > 0) yield return (start, current.Trim());
    }

    [GeneratedRegex(@"(&&|\|\||;|\||\(|\))")]
    private static partial Regex Separator();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9.+-]+(:[a-z0-9]+)?$")]
    private static partial Regex PackageName();
}
