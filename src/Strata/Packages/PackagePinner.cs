using System.Text;
using Strata.Engine;
using Strata.Graph;
using Strata.Oci;
using Strata.Tools;
using Strata.BaseOs;

namespace Strata.Packages;

/// <summary>What a package pin found: the new lock, the one before, what differs, and the npm trees it (re)locked.</summary>
public sealed record PackagePinResult(PackageLock Lock, PackageLock Previous, IReadOnlyList<PackageChange> Changes, IReadOnlyList<string> NpmChanged)
{
    /// <summary>The changelog entries of the new versions (bump-pr asks for them; empty otherwise).</summary>
    public IReadOnlyDictionary<(string Package, string Version), ChangelogEntry> Changelogs { get; init; } =
        new Dictionary<(string, string), ChangelogEntry>();

    public bool Changed => Changes.Count > 0 || NpmChanged.Count > 0;

    /// <summary>One line per changed package: "linux/amd64 base: jq 1.7.1-6 -> 1.7.1-6+deb13u4".</summary>
    public string Diff()
    {
        var text = new StringBuilder();
        foreach (var change in Changes)
            text.Append($"{change.Platform} {change.Image}: {change.Package} ").Append(change switch
            {
                { Old: { } old, Now: { } now } when old.Version == now.Version => $"{now.Version} (sha256 {old.Sha256[..12]} -> {now.Sha256[..12]})",
                { Old: { } old, Now: { } now } => $"{old.Version} -> {now.Version}",
                { Now: { } now } => $"{now.Version} (new)",
                _ => "(removed)",
            }).Append('\n');
        foreach (var tool in NpmChanged) text.Append($"npm: {NpmLock.Folder(tool)}/{NpmLock.LockName} (re)locked\n");
        return text.ToString();
    }
}

/// <summary>
/// Pins every package of the chain: per platform, the Debian packages each image's Dockerfile installs (resolved in that
/// platform's base OS, see <see cref="AptResolver"/>), and the dependency tree of every npm-installed tool at its locked
/// version. A platform whose packages did not change keeps its entry as it was (its resolution time too), so an
/// unchanged archive gives an unchanged file.
/// </summary>
public sealed class PackagePinner(IContainerRuntime containers, BaseOsProvider baseOs, Action<string> log)
{
    /// <param name="platforms">The platforms to resolve (the others keep their entries).</param>
    /// <param name="write">Write the lock files (false: only compare, for --check and bump-pr).</param>
    /// <param name="changelogs">Also read the changelog entries of the new versions (for the bump pull request).</param>
    public async Task<PackagePinResult> PinAsync(ImageGraph graph, ToolSet? tools, ToolLock toolLock, PackageLock previous,
        IReadOnlyList<Platform> platforms, string? network, bool write, string lockPath, CancellationToken ct = default, bool changelogs = false)
    {
        ImageReference? firstOs = null;
        var next = previous;
        var resolver = new AptResolver(containers, log);
        foreach (var platform in platforms)
        {
            var images = graph.ImagesFor(platform);
            var installs = images.Select(i => new ImageInstall(i.Name,
                AptInstall.Read(File.ReadAllText(Path.Combine(graph.RootDirectory, i.Layer.Dockerfile)), i.Layer.Dockerfile))).ToList();
            if (installs.All(i => i.Install is null))
            {
                next = new PackageLock(next.Platforms.Where(p => p.Key != platform).ToDictionary());
                continue;
            }
            var os = await baseOs.EnsureAsync(graph.BaseOs, platform, ct);
            firstOs ??= os;
            var resolved = await resolver.ResolveAsync(os, graph.AptSources, installs, images.ToDictionary(i => i.Name, i => i.Parent), network, ct);
            if (previous.Platforms.TryGetValue(platform, out var before) && before.SameAs(resolved)) continue;
            next = next.With(platform, resolved);
        }
        // A platform strata.yaml no longer declares has nothing to lock.
        next = new PackageLock(next.Platforms.Where(p => graph.Platforms.Contains(p.Key)).ToDictionary());

        var npmChanged = new List<string>();
        foreach (var npm in (tools?.Tools ?? []).OfType<NpmTool>().Where(t => graph.Contains(t.Image)))
            if (toolLock.Tools.TryGetValue(npm.Name, out var locked) &&
                await NpmLock.PinAsync(graph.RootDirectory, npm, locked.Version, write, log, ct))
                npmChanged.Add(npm.Name);

        var changes = PackageLock.Changes(previous, next);
        var notes = changelogs && firstOs is not null
            ? await new AptChangelogs(containers).ReadAsync(firstOs, graph.AptSources,
                changes.Where(c => c.Now is not null && c.Now.Version != c.Old?.Version).Select(c => (c.Package, c.Now!.Version)), network, ct)
            : new Dictionary<(string, string), ChangelogEntry>();
        var result = new PackagePinResult(next, previous, changes, npmChanged) { Changelogs = notes };
        if (write && result.Changes.Count > 0) next.Save(lockPath);
        return result;
    }
}
