using System.Text;
using Strata.Oci;

namespace Strata.Supply;

/// <summary>One image's change between the previous moving tag's SBOM and the new one (null before: a first release).</summary>
public sealed record ImageChange(string Image, Digest? PreviousDigest, Digest Digest, IReadOnlyList<SbomComponent>? Before, IReadOnlyList<SbomComponent> After)
{
    /// <summary>Its size (null: not known).</summary>
    public ReleasedSize? Size { get; init; }
}

/// <summary>An image's size in a release: compressed in the registry (and the previous release's, when known), unpacked and wasted when this run measured it.</summary>
public sealed record ReleasedSize(long Compressed, long? PreviousCompressed, long? Unpacked, long? Wasted);

/// <summary>
/// artifacts/release-notes.md: what changed in each image since its previous moving tag, package by package
/// (added, removed, version changed), from the two SBOMs. Components are matched by kind and name.
/// </summary>
public static class ReleaseNotes
{
    /// <param name="chain">The release's images per platform, built or reused and why: drawn first (null: no picture).</param>
    public static string Render(IReadOnlyList<ImageChange> changes, IReadOnlyList<Reporting.ChainNode>? chain = null)
    {
        var text = new StringBuilder("# What changes in the images\n");
        if (chain is { Count: > 0 }) text.Append("\n").Append(Reporting.ChainDiagram.Markdown(chain));
        foreach (var change in changes)
        {
            text.Append($"\n## {change.Image}\n\n");
            if (change.Size is { } size) text.Append(Describe(size)).Append("\n\n");
            if (change.Before is null)
            {
                text.Append(change.PreviousDigest is null
                    ? $"First release ({change.After.Count} components).\n"
                    : $"The previous image ({change.PreviousDigest}) has no SBOM to compare with ({change.After.Count} components now).\n");
                continue;
            }
            if (change.PreviousDigest == change.Digest)
            {
                text.Append("Unchanged (same manifest).\n");
                continue;
            }
            var lines = Diff(change.Before, change.After).ToList();
            if (lines.Count == 0) text.Append("No package changed.\n");
            foreach (var line in lines) text.Append("- ").Append(line).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>"Size: 312 MB compressed (+12 MB against the previous release); 1.02 GB unpacked, 8 MB of it wasted."</summary>
    public static string Describe(ReleasedSize size)
    {
        var text = $"Size: {Graph.ByteSize.Format(size.Compressed)} compressed";
        if (size.PreviousCompressed is { } before)
            text += $" ({(size.Compressed >= before ? "+" : "-")}{Graph.ByteSize.Format(Math.Abs(size.Compressed - before))} against the previous release)";
        if (size.Unpacked is { } unpacked) text += $"; {Graph.ByteSize.Format(unpacked)} unpacked";
        if (size.Wasted is { } wasted) text += $", {Graph.ByteSize.Format(wasted)} of it wasted (written, then deleted or overwritten by a later layer)";
        return text + ".";
    }

    /// <summary>"added x 1.2", "removed y 3.4", "x 1.2 -> 1.3", sorted by name.</summary>
    public static IEnumerable<string> Diff(IReadOnlyList<SbomComponent> before, IReadOnlyList<SbomComponent> after)
    {
        static Dictionary<(string, string), string> Versions(IEnumerable<SbomComponent> components) => components
            .Where(c => c.Type != "container")
            .GroupBy(c => (Kind(c.Purl), c.Name))
            .ToDictionary(g => g.Key, g => string.Join(", ", g.Select(c => c.Version).Distinct().Order(StringComparer.Ordinal)));
        var old = Versions(before);
        var now = Versions(after);
        foreach (var key in old.Keys.Union(now.Keys).OrderBy(k => k.Item2, StringComparer.Ordinal).ThenBy(k => k.Item1, StringComparer.Ordinal))
        {
            var label = $"{key.Item2} ({key.Item1})";
            if (!old.TryGetValue(key, out var was)) yield return $"added {label} {now[key]}";
            else if (!now.TryGetValue(key, out var isNow)) yield return $"removed {label} {was}";
            else if (was != isNow) yield return $"{label} {was} -> {isNow}";
        }
    }

    /// <summary>The purl type (deb, npm, generic): a Debian package and an npm package of the same name are different things.</summary>
    private static string Kind(string purl) => purl.StartsWith("pkg:", StringComparison.Ordinal) && purl.IndexOf('/') is > 4 and var slash ? purl[4..slash] : "other";
}
