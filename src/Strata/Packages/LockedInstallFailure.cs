using System.Text;
using System.Text.RegularExpressions;
using Strata.Keys;
using Strata.Oci;

namespace Strata.Packages;

/// <summary>
/// Turns apt's words in a failed locked install into what happened and the fix. With the lock's preferences a version
/// that is not locked has no candidate, so "has no installation candidate" means: the archive no longer serves the
/// locked version (a newer one replaced it, as Debian's archive does with security updates), or the lock does not cover
/// the package at all.
/// </summary>
public static partial class LockedInstallFailure
{
    public static bool IsAptError(string line) => AptError().IsMatch(line) || line.Contains("strata: ", StringComparison.Ordinal);

    /// <summary>The explanation, or null when apt's output names no package (the build failed for another reason).</summary>
    public static string? Explain(string image, Platform platform, IReadOnlyList<GeneratedFile> generated, IReadOnlyList<string> aptLines)
    {
        var names = aptLines.Select(l => AptError().Match(l)).Where(m => m.Success).Select(m => m.Groups["name"].Value).Distinct().ToList();
        if (names.Count == 0) return null;
        var locked = Locked(generated);
        var text = new StringBuilder($"{image} ({platform}): apt could not install the locked packages:\n");
        foreach (var name in names)
            text.Append(locked.TryGetValue(name, out var version)
                ? $"  {name} {version} (locked) is no longer served by the archive: a newer version replaced it.\n"
                : $"  {name} is not in {PackageLock.DefaultFileName} for this image and platform.\n");
        text.Append($"Fix: run ./build.sh --target=pin (add --skip-tools without GitHub access) and commit {PackageLock.DefaultFileName}; or build ");
        text.Append("the locked versions from the archive as it was when the lock was made: --apt-snapshot=https://snapshot.debian.org.\napt said:\n  ");
        text.Append(string.Join("\n  ", aptLines.Distinct().Take(12)));
        return text.ToString();
    }

    /// <summary>The stage's locked versions, from the locked.list it sends (name version architecture sha256).</summary>
    private static Dictionary<string, string> Locked(IReadOnlyList<GeneratedFile> generated) =>
        generated.Where(f => f.ContextPath == $"{AptInstall.ContextDirectory}/locked.list")
            .SelectMany(f => Encoding.UTF8.GetString(f.Content).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Select(l => l.Split(' ')).Where(w => w.Length >= 2).ToDictionary(w => w[0], w => w[1]);

    // E: Package 'x' has no installation candidate | E: Unable to locate package x | E: Version 'v' for 'x' was not found
    // | x : Depends: y but it is not installable | strata: x v (arch) is not in packages.lock.json (the .deb check)
    [GeneratedRegex(@"E: Package '(?<name>[^']+)' has no installation candidate|E: Unable to locate package (?<name>\S+)|E: Version '[^']+' for '(?<name>[^']+)' was not found|Depends: (?<name>[a-z0-9][a-z0-9.+-]+)[^\n]* but it is not (installable|going to be installed)|strata: (?<name>[a-z0-9][a-z0-9.+-]+) \S+ \([^)]+\) is not in packages\.lock\.json")]
    private static partial Regex AptError();
}
