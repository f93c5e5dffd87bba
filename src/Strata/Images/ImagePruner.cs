using Strata.Engine;
using Strata.Graph;
using Strata.Oci;
using Strata.Reporting;
using Strata.BaseOs;

namespace Strata.Images;

/// <summary>One image prune removes (or, in a dry run, would remove): its tags in the repository and the space it frees.</summary>
/// <param name="FreedBytes">Its own layers: its size less its parent stage's (the thin layer, or a core's own steps).</param>
public sealed record PrunedImage(ImageId Id, IReadOnlyList<ImageReference> Tags, string Stage, long FreedBytes);

public sealed record PruneResult(bool DryRun, IReadOnlyList<PrunedImage> Removed, IReadOnlyList<ImageReference> Kept, long FreedBytes)
{
    public string Summary() =>
        (Removed.Count == 0 ? "Nothing to prune." : SummaryTable.Render(["IMAGE", "STAGE", "FREES"],
            Removed.Select(r => (IReadOnlyList<string>)[string.Join(", ", r.Tags), r.Stage, SummaryTable.FormatSize(r.FreedBytes)])))
        + $"{(DryRun ? "Would remove" : "Removed")} {Removed.Count} image(s), freeing about {SummaryTable.FormatSize(FreedBytes)}; kept {Kept.Count}.\n";
}

/// <summary>
/// Removes the images Strata made for this repository (they carry <see cref="ChainBuilder.KeyLabel"/>)
/// that neither the current plan nor the last N recorded plans use. Never touches an image Strata
/// did not make, one of another repository, nor one a moving tag (repo:image) points at.
/// </summary>
public sealed class ImagePruner(IImageStore images, Action<string> log)
{
    public Task<PruneResult> PruneAsync(BuildPlan plan, PlanHistory history, int keep, bool dryRun, CancellationToken ct = default) =>
        PruneAsync([plan], history, keep, dryRun, ct);

    /// <param name="current">The current plan of every declared platform: pruning on one platform never removes another's images.</param>
    public async Task<PruneResult> PruneAsync(IReadOnlyList<BuildPlan> current, PlanHistory history, int keep, bool dryRun, CancellationToken ct = default)
    {
        if (keep < 0) throw new ArgumentException($"--keep={keep}: give the number of earlier plans whose images stay (0 or more).");
        var plan = current[0];
        var repository = plan.Graph.Repository.Name;
        history.Record(current);
        var plans = history.Plans();
        var kept = new HashSet<string>(plans.Skip(Math.Max(0, plans.Count - 1 - keep)).SelectMany(p => p), StringComparer.Ordinal);
        kept.UnionWith(PlanHistory.KeyTags(current));

        // Every image with Strata's key label, with all its tags (a reference filter would hide the other repositories' tags).
        var strataImages = await images.ListImagesAsync(labels: [ChainBuilder.KeyLabel], ct: ct);
        var byKey = strataImages.GroupBy(i => i.Labels[ChainBuilder.KeyLabel]).ToDictionary(g => g.Key, g => g.First());
        // A root stage builds on the base OS image (not Strata's): its own layers are its size less the OS's.
        var os = await images.InspectImagesAsync(
            [plan.Graph.BaseOs.Image, .. current.Select(p => BaseOsProvider.FallbackTag(p.Graph.BaseOs, p.Platform))], ct);
        var osSize = os.Count > 0 ? os.Min(i => i.Size) : 0;
        var removed = new List<PrunedImage>();
        var keptNames = new List<ImageReference>();
        foreach (var image in strataImages)
        {
            var ours = image.RepoTags.Where(t => t.Repository == repository && t.Tag is not null).ToList();
            if (ours.Count == 0) continue; // another repository's (or untagged): not ours to judge
            var key = image.Labels[ChainBuilder.KeyLabel];
            if (ours.Any(t => kept.Contains(t.ToString())) || ours.Any(t => !KeyTag.Carries(t.Tag!, key)) || image.RepoTags.Count > ours.Count)
            {
                keptNames.Add(ours[0]);
                continue;
            }
            var parentSize = image.Labels.GetValueOrDefault(ChainBuilder.ParentKeyLabel) is { Length: > 0 } parentKey &&
                             byKey.TryGetValue(parentKey, out var parent) ? parent.Size : osSize;
            removed.Add(new PrunedImage(image.Id, ours, image.Labels.GetValueOrDefault("dev.strata.stage", "?"),
                Math.Max(0, image.Size - parentSize)));
        }

        // What a kept image is built on stays too (its layers would not be freed anyway).
        var removedKeys = removed.ToDictionary(r => r.Id, r => strataImages.First(i => i.Id == r.Id).Labels[ChainBuilder.KeyLabel]);
        var needed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var image in strataImages.Where(i => !removedKeys.ContainsKey(i.Id)))
            for (var k = image.Labels.GetValueOrDefault(ChainBuilder.ParentKeyLabel); k is { Length: > 0 } && needed.Add(k);
                 k = byKey.GetValueOrDefault(k)?.Labels.GetValueOrDefault(ChainBuilder.ParentKeyLabel))
            {
            }
        foreach (var image in removed.Where(r => needed.Contains(removedKeys[r.Id])).ToList())
        {
            removed.Remove(image);
            keptNames.Add(image.Tags[0]);
        }

        // Children first: a parent's layers go only once nothing built on it is left.
        removed = removed.OrderBy(r => r.Stage == "published" ? 0 : 1)
            .ThenByDescending(r => Depth(plan.Graph, r.Tags[0].Tag!)).ToList();
        if (!dryRun)
            foreach (var image in removed)
                foreach (var tag in image.Tags)
                {
                    await images.RemoveImageAsync(tag, ct: ct);
                    log($"removed {tag}");
                }
        return new PruneResult(dryRun, removed, keptNames, removed.Sum(r => r.FreedBytes));
    }

    private static int Depth(ImageGraph graph, string name)
    {
        var image = graph.Images.Where(i => name.StartsWith(i.Name + "-", StringComparison.Ordinal)).MaxBy(i => i.Name.Length);
        return image is null ? 0 : graph.Lineage(image.Name).Count;
    }
}
