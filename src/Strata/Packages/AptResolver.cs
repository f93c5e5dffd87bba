using System.Text;
using System.Text.RegularExpressions;
using Strata.Engine;
using Strata.Oci;

namespace Strata.Packages;

/// <summary>One image's apt installs in chain order (null: it installs nothing from the archive).</summary>
public sealed record ImageInstall(string Image, AptInstall? Install);

/// <summary>
/// Resolves what each image of one platform installs, without building any image: one container of the platform's base
/// OS reads strata.yaml's apt sources, then simulates (<c>apt-get install -s</c>) the installs of each image together
/// with its ancestors'; an image's share is what its step adds to its ancestors' (what apt pulls in included). The
/// archive's sha256 of each .deb comes from the same indexes (<c>apt-cache show</c>).
/// </summary>
public sealed partial class AptResolver(IContainerRuntime containers, Action<string> log, TimeProvider? clock = null)
{
    private const string ImageMarker = "@@strata-image ";
    private const string ShowMarker = "@@strata-show";

    /// <param name="baseOs">A local image of the platform's base OS (FROM of the chain's root).</param>
    /// <param name="images">The platform's images, each after its parent.</param>
    /// <param name="network">The build's network (null: the engine's default; "host" for an archive on this machine's loopback).</param>
    public async Task<PlatformPackages> ResolveAsync(ImageReference baseOs, IReadOnlyList<string> sources, IReadOnlyList<ImageInstall> images,
        IReadOnlyDictionary<string, string?> parents, string? network, CancellationToken ct = default)
    {
        var resolved = (clock ?? TimeProvider.System).GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'");
        var installing = images.Where(i => i.Install is not null).ToList();
        if (installing.Count == 0) return new PlatformPackages(resolved, new Dictionary<string, ImagePackages>());

        log($"resolving the apt installs of {string.Join(", ", installing.Select(i => i.Image))} in {baseOs}");
        var result = await containers.RunContainerAsync(new ContainerOptions { User = "0", ReplaceEntrypoint = true, Network = network },
            baseOs, ["sh", "-c", Script(sources, images, parents)], ct);
        if (result.ExitCode != 0)
            throw new StrataConfigException(
                $"resolving the Debian packages in {baseOs} failed (exit {result.ExitCode}). apt said:\n  " +
                string.Join("\n  ", (result.StdErr + "\n" + result.StdOut).Split('\n').Where(l => l.StartsWith("E:") || l.StartsWith("W:") || l.Contains("strata")).TakeLast(12)) +
                "\nCheck that every package an apt-get install of the Dockerfiles names exists in the sources of strata.yaml (apt: sources:).");
        return new PlatformPackages(resolved, Parse(result.StdOut, images, parents));
    }

    /// <summary>
    /// The shell script run in the base OS: apt reads only strata.yaml's sources (its own configuration file, no
    /// preferences), then one simulated install per image of that image's and its ancestors' packages.
    /// </summary>
    internal static string Script(IReadOnlyList<string> sources, IReadOnlyList<ImageInstall> images, IReadOnlyDictionary<string, string?> parents)
    {
        var script = new StringBuilder("set -eu\n").Append(ArchiveSetUp(sources)).Append(": > \"$d/inst\"\n");
        foreach (var image in images.Where(i => i.Install is not null))
        {
            var lineage = Lineage(image.Image, images, parents);
            var packages = lineage.SelectMany(i => i.Install!.Packages).Distinct().ToList();
            var recommends = lineage.All(i => i.Install!.NoInstallRecommends) ? " --no-install-recommends" : "";
            script.Append($"echo '{ImageMarker}{image.Image}'\n");
            script.Append($"apt-get install -s -qq{recommends} {string.Join(' ', packages)} > \"$d/step\"\n");
            script.Append("grep '^Inst ' \"$d/step\" | tee -a \"$d/inst\" || true\n");
        }
        // The sha256 of every version a step installs, from the same indexes.
        script.Append($"echo '{ShowMarker}'\n");
        script.Append("sed -n 's/^Inst \\([^ ]*\\) .*(\\([^ ]*\\) .*/\\1=\\2/p' \"$d/inst\" | sort -u > \"$d/versions\"\n");
        script.Append("xargs -r apt-cache show < \"$d/versions\" | grep -E '^(Package|Version|Architecture|SHA256):'\n");
        return script.ToString();
    }

    /// <summary>
    /// The start of a script run in a base OS container that reads the archive: apt reads only <paramref name="sources"/>
    /// (its own configuration file in the temporary folder <c>$d</c>, no preferences), and the indexes are fetched.
    /// </summary>
    internal static string ArchiveSetUp(IReadOnlyList<string> sources)
    {
        var script = new StringBuilder("""
            d=$(mktemp -d)
            mkdir -p "$d/parts" "$d/prefs"
            cat > "$d/sources.list" <<'STRATA_SOURCES'

            """);
        foreach (var source in sources) script.Append(source).Append('\n');
        script.Append("""
            STRATA_SOURCES
            printf 'Dir::Etc::SourceList "%s/sources.list";\nDir::Etc::SourceParts "%s/parts";\nDir::Etc::Preferences "%s/none";\nDir::Etc::PreferencesParts "%s/prefs";\n' "$d" "$d" "$d" "$d" > "$d/apt.conf"
            export APT_CONFIG="$d/apt.conf" DEBIAN_FRONTEND=noninteractive
            apt-get update -qq >&2 || exit 1

            """);
        return script.ToString();
    }

    /// <summary>Each installing image's share: the packages its simulated step installs that its parent's step does not.</summary>
    internal static IReadOnlyDictionary<string, ImagePackages> Parse(
        string output, IReadOnlyList<ImageInstall> images, IReadOnlyDictionary<string, string?> parents)
    {
        var steps = new Dictionary<string, Dictionary<string, (string Version, string Arch)>>();
        Dictionary<string, (string Version, string Arch)>? current = null;
        var shas = new Dictionary<(string, string), string>();
        var inShow = false;
        string? package = null, version = null, arch = null;
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith(ImageMarker, StringComparison.Ordinal))
            {
                steps[line[ImageMarker.Length..].Trim()] = current = [];
                continue;
            }
            if (line.StartsWith(ShowMarker, StringComparison.Ordinal))
            {
                inShow = true;
                continue;
            }
            if (!inShow)
            {
                if (current is not null && Inst().Match(line) is { Success: true } m)
                    current[m.Groups["name"].Value] = (m.Groups["version"].Value, m.Groups["arch"].Value);
                continue;
            }
            var (field, value) = line.IndexOf(": ", StringComparison.Ordinal) is var at and > 0 ? (line[..at], line[(at + 2)..].Trim()) : ("", "");
            switch (field)
            {
                case "Package": (package, version, arch) = (value, null, null); break;
                case "Version": version = value; break;
                case "Architecture": arch = value; break;
                case "SHA256" when package is not null && version is not null:
                    shas.TryAdd((package, version), value);
                    break;
            }
        }

        var result = new Dictionary<string, ImagePackages>();
        foreach (var image in images.Where(i => i.Install is not null))
        {
            if (!steps.TryGetValue(image.Image, out var step))
                throw new StrataConfigException($"resolving the Debian packages: no result for image '{image.Image}' (the resolution stopped early).");
            var above = InstallingAncestor(image.Image, images, parents) is { } ancestor ? steps[ancestor] : [];
            var share = new Dictionary<string, LockedPackage>();
            foreach (var (name, (v, a)) in step.Where(s => !above.ContainsKey(s.Key)))
                share[name] = new LockedPackage(v, a, shas.TryGetValue((name, v), out var sha)
                    ? sha
                    : throw new StrataConfigException($"resolving the Debian packages: the archive gives no sha256 for {name} {v} ({a})."));
            result[image.Image] = new ImagePackages(image.Install!.Packages, share);
        }
        return result;
    }

    /// <summary>The image and its ancestors that install packages, root first.</summary>
    private static List<ImageInstall> Lineage(string image, IReadOnlyList<ImageInstall> images, IReadOnlyDictionary<string, string?> parents)
    {
        var chain = new List<ImageInstall>();
        for (string? name = image; name is not null; name = parents.GetValueOrDefault(name))
            if (images.FirstOrDefault(i => i.Image == name) is { Install: not null } found) chain.Insert(0, found);
        return chain;
    }

    private static string? InstallingAncestor(string image, IReadOnlyList<ImageInstall> images, IReadOnlyDictionary<string, string?> parents)
    {
        for (var name = parents.GetValueOrDefault(image); name is not null; name = parents.GetValueOrDefault(name))
            if (images.Any(i => i.Image == name && i.Install is not null)) return name;
        return null;
    }

    // "Inst jq (1.7.1-6 Debian:13.8/stable [amd64])" or, for an upgrade, "Inst libc6 [2.41-12] (2.41-12+deb13u5 ... [amd64])".
    [GeneratedRegex(@"^Inst (?<name>\S+) (\[[^\]]*\] )?\((?<version>\S+) .*\[(?<arch>[^\]]+)\]\)")]
    private static partial Regex Inst();
}
