using System.Text;
using Strata.Graph;
using Strata.Images;
using Strata.Packages;
using Strata.Reporting;
using Strata.Tools;

namespace Strata.Bumps;

/// <summary>The title and body of the bump pull request, written for its reviewer.</summary>
public static class BumpDescription
{
    /// <summary>Hidden in the body: how a run finds its own pull request among others from the same branch.</summary>
    public const string Marker = "<!-- strata:tool-bumps -->";

    /// <summary>"Bump helm 3.19.2 -> 3.19.4, k9s 0.50.1 -> 0.50.2".</summary>
    public static string Title(ToolLock before, ToolLock after, PackagePinResult? packages = null)
    {
        var parts = ToolLock.Changes(before, after).Select(c => c switch
        {
            (_, { } old, { } now) when old.Version == now.Version => $"{c.Name} {now.Version} (new downloads)",
            (_, { } old, { } now) => $"{c.Name} {old.Version} -> {now.Version}",
            (_, null, { } now) => $"add {c.Name} {now.Version}",
            _ => $"drop {c.Name}",
        }).ToList();
        if (packages is { Changes.Count: > 0 })
        {
            var count = packages.Changes.Select(c => (c.Package, c.Now?.Version)).Distinct().Count();
            var security = packages.Changes.Count(c => c.Now is { } now && packages.Changelogs.GetValueOrDefault((c.Package, now.Version))?.Cves.Count > 0);
            parts.Add($"{count} Debian package{(count == 1 ? "" : "s")}" + (security > 0 ? $" ({security} with CVE fixes)" : ""));
        }
        if (packages is { NpmChanged.Count: > 0 }) parts.Add($"npm tree of {string.Join(", ", packages.NpmChanged)}");
        return "Bump " + string.Join(", ", parts);
    }

    /// <summary>
    /// The package updates, one table per image and platform: package, old -> new version, and the new version's Debian
    /// changelog entry (its CVE ids first) where the package carries one.
    /// </summary>
    public static string PackageTables(PackagePinResult packages)
    {
        var text = new StringBuilder();
        foreach (var group in packages.Changes.GroupBy(c => (c.Image, c.Platform)))
        {
            text.Append($"#### `{group.Key.Image}` ({group.Key.Platform})\n\n| Package | Version | Debian changelog |\n|---|---|---|\n");
            foreach (var change in group)
            {
                var notes = change.Now is { } now && packages.Changelogs.GetValueOrDefault((change.Package, now.Version)) is { } entry
                    ? (entry.Cves.Count > 0 ? $"**{string.Join(", ", entry.Cves)}**: " : "") + string.Join(" ", entry.Lines).Replace("|", "\\|")
                    : "";
                var version = change switch
                {
                    { Old: { } old, Now: { } n } when old.Version == n.Version => $"{n.Version} (new sha256 `{n.Sha256[..12]}`)",
                    { Old: { } old, Now: { } n } => $"{old.Version} -> {n.Version}",
                    { Now: { } n } => $"(new) {n.Version}",
                    { Old: { } old } => $"{old.Version} -> (removed)",
                    _ => "",
                };
                text.Append($"| {change.Package} | {version} | {(notes.Length > 300 ? notes[..300] + "…" : notes)} |\n");
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>
    /// Per image and platform strata.yaml builds it for, whether the new lock changes its key: a key covers only its own
    /// platform's downloads, so a bump whose arm64 sha256 alone changed rebuilds only arm64 images. With one platform
    /// declared an entry is the image's name; with more, "k8s (linux/arm64)".
    /// </summary>
    public static (IReadOnlyList<string> Change, IReadOnlyList<string> Keep) Images(ImageGraph graph, ToolSet tools, ToolLock before, ToolLock after,
        PackageLock packagesBefore, PackageLock packagesAfter)
    {
        var change = new List<string>();
        var keep = new List<string>();
        // A lock that cannot be planned (the old one missed a tool, a tool bump whose npm tree is not locked yet) changes every image.
        var plans = graph.Platforms.ToDictionary(p => p, p => (Now: Plan(graph, tools, after, packagesAfter, p), Old: Plan(graph, tools, before, packagesBefore, p)));
        foreach (var image in graph.Images)
        {
            var platforms = graph.Platforms.Where(p => graph.ImagesFor(p).Any(i => i.Name == image.Name)).ToList();
            var changed = platforms.Where(p => plans[p] is not ({ } now, { } old) || old.Get(image.Name).Key != now.Get(image.Name).Key).ToList();
            if (changed.Count > 0) change.Add(Entry(graph, image.Name, changed));
            if (changed.Count < platforms.Count) keep.Add(Entry(graph, image.Name, platforms.Except(changed).ToList()));
        }
        return (change, keep);
    }

    /// <summary>Per image and platform whose key the new lock changes, why: the diff of its key components, old plan against new.</summary>
    public static IReadOnlyList<(string Entry, string Reason)> Reasons(ImageGraph graph, ToolSet tools, ToolLock before, ToolLock after,
        PackageLock packagesBefore, PackageLock packagesAfter)
    {
        var reasons = new List<(string, string)>();
        foreach (var platform in graph.Platforms)
        {
            // A new lock that cannot be planned (a tool bump whose npm tree is not locked yet) has no reasons to give.
            if (Plan(graph, tools, after, packagesAfter, platform) is not { } now) continue;
            var old = Plan(graph, tools, before, packagesBefore, platform);
            IReadOnlyList<IReadOnlyList<StageKeys>> history = old is null ? [] : [old.Images.SelectMany(i => i.Stages).Select(StageKeys.Of).ToList()];
            foreach (var image in now.Images.Where(i => old is null || !old.Contains(i.Name) || old.Get(i.Name).Key != i.Key))
                reasons.Add((Entry(graph, image.Name, [platform]), BuildReason.Explain(image, history).ToString()));
        }
        return reasons;
    }

    /// <summary>The chain as the bump leaves it: per platform, each image rebuilt (and why) or reused.</summary>
    public static IReadOnlyList<ChainNode> Chain(ImageGraph graph, ToolSet tools, ToolLock before, ToolLock after,
        PackageLock packagesBefore, PackageLock packagesAfter)
    {
        var reasons = Reasons(graph, tools, before, after, packagesBefore, packagesAfter).ToDictionary(r => r.Entry, r => r.Reason);
        var nodes = new List<ChainNode>();
        foreach (var platform in graph.Platforms)
            foreach (var image in graph.ImagesFor(platform))
            {
                var why = reasons.GetValueOrDefault(Entry(graph, image.Name, [platform]));
                nodes.Add(new ChainNode(image.Name, image.Parent, platform.ToString(), why is not null, why));
            }
        return nodes;
    }

    /// <summary>Per image, the pinned tools of its lineage the new lock changes: what a reviewer of the bump gets in each image.</summary>
    public static IReadOnlyList<(string Image, IReadOnlyList<string> Tools)> ToolsPerImage(ImageGraph graph, ToolSet tools, ToolLock before, ToolLock after)
    {
        var changed = ToolLock.Changes(before, after).ToDictionary(c => c.Name);
        return graph.Images
            .Select(image => (image.Name, Tools: (IReadOnlyList<string>)graph.Lineage(image.Name).SelectMany(i => tools.ForImage(i.Name))
                .Where(t => changed.ContainsKey(t.Name)).Select(t => Describe(changed[t.Name])).ToList()))
            .Where(i => i.Tools.Count > 0).ToList();
    }

    private static string Describe((string Name, LockedTool? Old, LockedTool? Now) change) => change switch
    {
        (_, { } old, { } now) when old.Version == now.Version => $"{change.Name} {now.Version} (new downloads)",
        (_, { } old, { } now) => $"{change.Name} {old.Version} -> {now.Version}",
        (_, null, { } now) => $"{change.Name} {now.Version} (new)",
        _ => $"{change.Name} (removed)",
    };

    private static BuildPlan? Plan(ImageGraph graph, ToolSet tools, ToolLock lockFile, PackageLock packages, Oci.Platform platform)
    {
        try
        {
            return BuildPlanner.Plan(graph, new PlanOptions { HostCa = HostCaMode.Off, Tools = tools, Lock = lockFile, Packages = packages, Platform = platform, Native = platform });
        }
        catch (StrataConfigException)
        {
            return null;
        }
    }

    private static string Entry(ImageGraph graph, string image, IReadOnlyList<Oci.Platform> platforms) =>
        graph.Platforms.Count == 1 ? image : $"{image} ({string.Join(", ", platforms)})";

    public static string Body(PinResult pin, IReadOnlyList<string> imagesChange, IReadOnlyList<string> imagesKeep, string lockPath,
        IReadOnlyList<(string Image, IReadOnlyList<string> Tools)>? toolsPerImage = null, PackagePinResult? packages = null,
        IReadOnlyList<(string Entry, string Reason)>? reasons = null, IReadOnlyList<ChainNode>? chain = null)
    {
        var text = new StringBuilder();
        text.Append(Marker).Append('\n');
        var files = packages is { Changed: true }
            ? $"`{lockPath}`, `{PackageLock.DefaultFileName}`" + (packages.NpmChanged.Count > 0 ? " and the npm locks under `locks/npm/`" : "")
            : $"`{lockPath}`";
        text.Append($"Newer upstream releases, pinned by Strata's nightly `bump-pr` run. This pull request changes only {files}.\n\n");
        var toolChanges = ToolLock.Changes(pin.Previous, pin.Lock).ToList();
        if (toolChanges.Count > 0)
        {
            text.Append("| Tool | Version | Release notes | ");
            text.Append(string.Join(" | ", ToolSpec.Architectures.Select(a => $"{a} sha256 (from)"))).Append(" |\n");
            text.Append("|---|---|---|").Append(string.Concat(ToolSpec.Architectures.Select(_ => "---|"))).Append('\n');
            foreach (var (name, old, now) in toolChanges)
            {
                if (now is null)
                {
                    text.Append($"| {name} | {old!.Version} -> (removed from tools.yaml) | |").Append(string.Concat(ToolSpec.Architectures.Select(_ => " |"))).Append('\n');
                    continue;
                }
                var source = pin.Sources.GetValueOrDefault(name);
                var notes = source is null ? now.Tag : $"[{now.Tag}]({source.ReleaseUrl})";
                text.Append($"| {name} | {old?.Version ?? "(new)"} -> {now.Version} | {notes} |");
                foreach (var arch in ToolSpec.Architectures)
                    text.Append(now.Assets.TryGetValue(arch, out var asset)
                        ? $" `{asset.Sha256[..12]}` ({source?.Sha256From.GetValueOrDefault(arch) ?? "unchanged"}) |"
                        : " npm package |");
                text.Append('\n');
            }
            text.Append('\n');
        }
        if (packages is { Changes.Count: > 0 })
        {
            text.Append("**Debian packages** (security updates included; per image and platform, what its own installs change):\n\n");
            text.Append(PackageTables(packages));
        }
        text.Append("**Images whose keys change** (rebuilt): ").Append(List(imagesChange)).Append('\n');
        text.Append("**Images whose keys do not change** (reused): ").Append(List(imagesKeep)).Append("\n\n");
        if (reasons is { Count: > 0 })
        {
            text.Append("**Why each rebuilds** (what moved its key):\n\n");
            foreach (var (entry, reason) in reasons) text.Append($"- `{entry}`: {reason}\n");
            text.Append('\n');
        }
        if (chain is { Count: > 0 }) text.Append(ChainDiagram.Markdown(chain)).Append('\n');
        if (toolsPerImage is { Count: > 0 })
        {
            // What a consumer of each published image gets; package-level changes come with the release notes
            // (artifacts/release-notes.md, from the SBOMs), once the images are built.
            text.Append("**What changes in the images** (the pinned tools each carries, its ancestors' included):\n\n");
            foreach (var (image, changes) in toolsPerImage) text.Append($"- `{image}`: {string.Join(", ", changes)}\n");
            text.Append('\n');
        }
        text.Append("**What CI proves before merge**: `ci.yml` runs `.ci/run` on this branch: the new lock loads, every image key is ");
        text.Append("computed from it, and the chain is built and smoke-tested as `./build.sh --skip-tools` builds it (npm tools at their new ");
        text.Append("version; the GitHub-released binaries are left out there). Every binary is checked against the sha256 above ");
        text.Append("whenever `./build.sh` downloads it: a mismatch fails the build.\n\n");
        text.Append("<details><summary>Lock diff</summary>\n\n```\n").Append(pin.Diff).Append(packages?.Diff() ?? "").Append("```\n</details>\n\n");
        text.Append("Each nightly run updates this pull request in place (one commit on top of the default branch); ");
        text.Append("it is closed with a comment when the default branch already has every bump.\n");
        return text.ToString();
    }

    private static string List(IReadOnlyList<string> names) =>
        names.Count == 0 ? "none" : string.Join(", ", names.Select(n => $"`{n}`"));
}
