using Strata.Images;
using Strata.Reporting;

namespace Strata.Pipeline;

/// <summary>
/// The plan verb: per image and stage, whether it is here, in the registry, or would be built. It asks
/// the engine and the registry and changes neither; it prints a table and writes artifacts/plan.json.
/// </summary>
public sealed class PlanCommand(BuildPlan plan, StageSources sources, CacheSources? cache, string artifactsDirectory, Action<string> log)
{
    public async Task<IReadOnlyList<PlannedImage>> RunAsync(CancellationToken ct = default)
    {
        var rows = new List<PlannedImage>();
        foreach (var image in plan.Images)
        {
            var stages = new List<StageReport>();
            foreach (var stage in image.Stages)
            {
                var source = await sources.LocateAsync(stage, ct);
                var previous = source == StageSource.Built && cache is not null ? await cache.FindAsync(image, stage, ct) : null;
                stages.Add(StageReports.Of(stage, source) with { CacheFrom = previous?.Image.ToString() });
            }
            rows.Add(new PlannedImage(image.Name, image.Key, image.Spec.Parent,
                stages.Any(st => st.Source == StageSource.Built) ? PlanAction.Build : PlanAction.Reuse) { Stages = stages });
        }
        log(SummaryTable.Render(
            ["IMAGE", "PARENT", "KEY", "STATUS", "STAGES"],
            rows.Select(r => (IReadOnlyList<string>)[r.Name, r.Parent ?? "-", r.Key, r.Status.ToString().ToLowerInvariant(),
                string.Join(", ", r.Stages.Select(st => $"{st.Stage}: {st.Source.ToString().ToLowerInvariant()}" +
                                                        (st.CacheFrom is { } c ? $" (cache from {c})" : "")))])).TrimEnd());
        var path = Path.Combine(artifactsDirectory, "plan.json");
        ReportFiles.WritePlan(path, rows);
        log($"Plan: {path}");
        return rows;
    }
}
