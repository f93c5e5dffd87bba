using System.Text;
using Strata.Keys;

namespace Strata.Packages;

/// <summary>
/// The files of <see cref="AptInstall.ContextDirectory"/> for one image and platform, made from the lock: apt's
/// configuration for the install steps (the sources of strata.yaml, nothing else), preferences that give each locked
/// version priority 1001, the installed ones their usual 100 and every other version -1 (a package that is neither
/// installed nor in the lock has no candidate), and the
/// hook that checks every fetched .deb's sha256 against the lock before dpkg unpacks it.
/// </summary>
public static class AptContext
{
    /// <summary>The generated files, and the empty folders apt.conf names (so the image's own sources and pins are not read).</summary>
    public static (IReadOnlyList<GeneratedFile> Files, IReadOnlyList<string> EmptyDirectories) For(
        IReadOnlyList<string> sources, IReadOnlyDictionary<string, LockedPackage> locked)
    {
        const string dir = AptInstall.ImageDirectory;
        var conf = $$"""
            // Written by Strata from packages.lock.json for the install steps of this image (APT_CONFIG).
            Dir::Etc::SourceList "{{dir}}/sources.list";
            Dir::Etc::SourceParts "{{dir}}/sources.list.d";
            Dir::Etc::Preferences "{{dir}}/preferences";
            Dir::Etc::PreferencesParts "{{dir}}/preferences.d";
            DPkg::Pre-Install-Pkgs { "{{dir}}/verify-debs"; };

            """;
        var list = string.Concat(sources.Select(s => s + "\n"));
        // The installed versions (the parent image's, "now") keep their usual priority, so a package the Dockerfile names
        // that the parent already has stays as it is; any other version that is not locked has no candidate.
        var preferences = new StringBuilder("""
            # Written by Strata from packages.lock.json: the installed and the locked versions only.
            Package: *
            Pin: release a=now
            Pin-Priority: 100

            Package: *
            Pin: release *
            Pin-Priority: -1

            """);
        var lockedList = new StringBuilder();
        foreach (var (name, package) in locked.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            preferences.Append($"\nPackage: {name}\nPin: version {package.Version}\nPin-Priority: 1001\n");
            lockedList.Append($"{name} {package.Version} {package.Architecture} {package.Sha256}\n");
        }
        return (
        [
            Text("apt.conf", conf),
            Text("sources.list", list),
            Text("preferences", preferences.ToString()),
            Text("locked.list", lockedList.ToString()),
            new GeneratedFile($"{AptInstall.ContextDirectory}/verify-debs", VerifyScript.Value, Executable: true),
        ], [$"{AptInstall.ContextDirectory}/sources.list.d", $"{AptInstall.ContextDirectory}/preferences.d"]);
    }

    /// <summary>
    /// The sources rewritten to a snapshot archive at the lock's resolution time, snapshot.debian.org's layout:
    /// <c>deb http://deb.debian.org/debian-security trixie-security main</c> becomes
    /// <c>deb [check-valid-until=no] URL/archive/debian-security/20261207T184000Z/ trixie-security main</c>.
    /// </summary>
    public static IReadOnlyList<string> Snapshot(IReadOnlyList<string> sources, Uri archive, string resolved) =>
        sources.Select(source =>
        {
            var words = source.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            var options = words[1].StartsWith('[') ? words[1].Trim('[', ']') + " " : "";
            var url = new Uri(words[options.Length > 0 ? 2 : 1].TrimEnd('/'));
            var rest = words.Skip(options.Length > 0 ? 3 : 2);
            var name = url.Segments.Length > 1 ? url.Segments[^1].Trim('/') : "debian";
            return $"deb [{options}check-valid-until=no] {archive.ToString().TrimEnd('/')}/archive/{name}/{resolved}/ {string.Join(' ', rest)}";
        }).ToList();

    private static GeneratedFile Text(string name, string content) =>
        new($"{AptInstall.ContextDirectory}/{name}", Encoding.UTF8.GetBytes(content), Executable: false);

    private static readonly Lazy<byte[]> VerifyScript = new(() =>
    {
        using var stream = typeof(AptContext).Assembly.GetManifestResourceStream("Strata.Packages.verify-debs.sh")
            ?? throw new InvalidOperationException("the verify-debs.sh resource is missing from the Strata library");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });
}
