using System.Text;
using System.Text.RegularExpressions;
using Strata.Engine;
using Strata.Oci;

namespace Strata.Packages;

/// <summary>The newest entry of a package version's Debian changelog, and the CVE ids it names.</summary>
public sealed record ChangelogEntry(IReadOnlyList<string> Lines, IReadOnlyList<string> Cves);

/// <summary>
/// Reads, for the versions a pin brings in, the top entry of each package's own changelog (<c>changelog.Debian.gz</c>
/// in the .deb, fetched with <c>apt-get download</c> from strata.yaml's sources in the base OS): what a reviewer of the
/// bump wants to see, security fixes by their CVE ids first. Best effort: a package whose .deb carries no changelog of
/// its own (its doc folder is a link to another package's) has no entry.
/// </summary>
public sealed partial class AptChangelogs(IContainerRuntime containers)
{
    private const string Marker = "@@strata-changelog ";

    public async Task<IReadOnlyDictionary<(string Package, string Version), ChangelogEntry>> ReadAsync(ImageReference baseOs, IReadOnlyList<string> sources,
        IEnumerable<(string Package, string Version)> versions, string? network, CancellationToken ct = default)
    {
        var wanted = versions.Distinct().ToList();
        if (wanted.Count == 0) return new Dictionary<(string, string), ChangelogEntry>();
        var script = new StringBuilder("set -u\n").Append(AptResolver.ArchiveSetUp(sources)).Append("mkdir -p \"$d/debs\"\ncd \"$d/debs\"\n");
        foreach (var (package, version) in wanted)
            script.Append($"echo '{Marker}{package} {version}'\n")
                .Append($"rm -f ./*.deb; apt-get download -qq '{package}={version}' >&2 && ")
                .Append($"dpkg-deb --fsys-tarfile ./*.deb | tar -xO './usr/share/doc/{package}/changelog.Debian.gz' 2>/dev/null | gzip -dc 2>/dev/null | sed -n '1,/^ -- /p'\n");
        var result = await containers.RunContainerAsync(new ContainerOptions { User = "0", ReplaceEntrypoint = true, Network = network },
            baseOs, ["sh", "-c", script.ToString()], ct);
        return result.ExitCode == 0 ? Parse(result.StdOut) : new Dictionary<(string, string), ChangelogEntry>();
    }

    internal static IReadOnlyDictionary<(string Package, string Version), ChangelogEntry> Parse(string output)
    {
        var entries = new Dictionary<(string, string), ChangelogEntry>();
        (string, string)? current = null;
        var lines = new List<string>();
        void Flush()
        {
            if (current is { } key && lines.Count > 0)
                entries[key] = new ChangelogEntry(lines.ToList(), lines.SelectMany(l => Cve().Matches(l).Select(m => m.Value)).Distinct().ToList());
            lines.Clear();
        }
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith(Marker, StringComparison.Ordinal))
            {
                Flush();
                var words = line[Marker.Length..].Trim().Split(' ');
                current = (words[0], words[1]);
                continue;
            }
            // The entry's change lines ("  * Fix CVE-…"), without its header, blank lines and signature.
            if (current is not null && (line.TrimStart().StartsWith('*') || (line.StartsWith("    ", StringComparison.Ordinal) && lines.Count > 0)))
                lines.Add(line.Trim());
        }
        Flush();
        return entries;
    }

    [GeneratedRegex(@"CVE-\d{4}-\d{4,}")]
    private static partial Regex Cve();
}
