using System.Diagnostics;
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Reporting;

namespace Strata.Pipeline;

/// <summary>
/// The build verb: makes an image exist (reused, pulled from the registry by digest, or built on its
/// parent's core) and records what happened in the run's <see cref="RunRecord"/>. Moves no moving tag.
/// </summary>
public sealed class BuildCommand(BuildPlan plan, ChainBuilder builder, StageSources sources, RunRecord record, BuildReasons reasons, IImageStore images,
    Action<string> log)
{
    /// <summary>Makes the image's published stage exist here.</summary>
    public Task<ImageResult> RunAsync(string image, CancellationToken ct = default) => ResolveAsync(image, needLocal: true, ct);

    /// <summary>Builds the image's ancestors, root first, then the image.</summary>
    public async Task<ImageResult> LineageAsync(string image, CancellationToken ct = default)
    {
        ImageResult? last = null;
        foreach (var step in plan.Lineage(image)) last = await RunAsync(step.Name, ct);
        return last!;
    }

    /// <summary>
    /// Makes the image exist here or (with <paramref name="needLocal"/> false) in the registry, building only
    /// what neither has: a release pulls nothing it does not need. The one place an <see cref="ImageResult"/> is made.
    /// </summary>
    public async Task<ImageResult> ResolveAsync(string image, bool needLocal, CancellationToken ct = default)
    {
        var planned = plan.Get(image);
        var clock = Stopwatch.StartNew();
        if (needLocal || await sources.LocateAsync(planned.Published, ct) == StageSource.Built)
            await sources.EnsureLocalAsync(planned, planned.Published, ct);

        var stages = new List<StageReport>();
        foreach (var stage in planned.Stages)
            stages.Add(StageReports.Of(stage, await sources.ReportedSourceAsync(stage, ct), builder.BuildOf(stage)));
        var built = stages.Any(st => st.Source == StageSource.Built);
        var local = (await builder.LocalImagesAsync(plan, ct)).GetValueOrDefault(planned.Published.KeyTag);
        var remote = local is null ? await sources.FindRemoteAsync(planned.Published, ct) : null;
        if (!built)
            log(stages.All(st => st.Source == StageSource.Local)
                ? $"==> {image}: reused {planned.Published.KeyTag}"
                : $"==> {image}: {planned.Published.KeyTag} from the registry{(local is null ? " (not pulled: nothing here needs it)" : "")}");
        // Layers are read (from the engine's folders, else `docker save`: seconds per GB) when this run built the image's core, and for any image
        // over its budget (to name its largest layers). A rebuild of the thin layers alone (a dotfile edit) keeps its speed.
        var bytes = local?.Size ?? remote?.Size ?? 0;
        var overBudget = planned.Spec.SizeBudget is { } budget && bytes > budget.Bytes;
        var coreBuilt = stages[0].Source == StageSource.Built;
        var size = local is not null && (coreBuilt || overBudget) ? ImageSize.Of(await images.ReadLayersAsync(planned.Published.KeyTag, ct)) : null;
        var result = new ImageResult(image, planned.Key, planned.Published.KeyTag.ToString(), local?.Id.ToString() ?? remote?.Digest.Value ?? "",
            built ? ImageStatus.Built : ImageStatus.Reused, clock.Elapsed.TotalSeconds, local?.Size ?? remote?.Size ?? 0)
        {
            Platform = plan.Platform.ToString(),
            Stages = stages,
            BytesPulled = sources.BytesPulled(planned),
            Reason = built ? reasons.For(planned).ToString() : null,
            Layers = size?.Layers.Select(l => new LayerReport(SizeBudget.Step(l.CreatedBy), l.Bytes, l.WastedBytes)).ToList(),
            WastedBytes = size?.WastedBytes,
        };
        record.Record(result);
        SizeBudget.Check(planned.Spec, plan.Platform, bytes, size); // before any tag moves: promotion and push come after
        return result;
    }

    /// <summary>
    /// Starts at once the thin dotfiles layers of the images among <paramref name="targets"/> whose core is
    /// here (each needs only its core), so after a dotfile edit they build side by side.
    /// </summary>
    public Task StartThinLayersAsync(ImageGraph graph, IEnumerable<string> targets, CancellationToken ct = default) =>
        builder.StartThinLayersAsync(graph, () => plan, targets, ct);
}

/// <summary>A stage as reports show it.</summary>
public static class StageReports
{
    public static StageReport Of(Stage stage, StageSource source, StageBuild? build = null) =>
        new(stage.Kind.ToString().ToLowerInvariant(), stage.Key, stage.KeyTag.ToString(), source)
        {
            CacheFrom = build?.Cache?.Image.ToString(),
            CachedSteps = build?.CachedSteps,
        };
}
