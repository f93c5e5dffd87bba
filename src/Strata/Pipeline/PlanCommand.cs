using Strata.Images;
using Strata.Reporting;

namespace Strata.Pipeline;

/// <summary>
/// The plan verb: per platform, image and stage, whether it is here, in the registry, or would be built. It asks
/// the engine and the registry and changes neither; it prints a table and writes artifacts/plan.json.
/// </summary>
public sealed class PlanCommand(IReadOnlyList<PlatformRun> runs, BuildReasons reasons, string artifactsDirectory, Action<string> log)
{
    /// <summary>Where vault proofs are looked up before a scenario runs (a line after the table); null: no image runs the vault.</summary>
    public string? VaultProofs { get; init; }
    /// <summary>artifacts/plan.mmd: the plan as a Mermaid flowchart.</summary>
    public string DiagramPath => Path.Combine(artifactsDirectory, "plan.mmd");

    public async Task<IReadOnlyList<PlannedImage>> RunAsync(CancellationToken ct = default)
    {
        var rows = new List<PlannedImage>();
        foreach (var run in runs)
            foreach (var image in run.Plan.Images)
            {
                var stages = new List<StageReport>();
                foreach (var stage in image.Stages)
                {
                    var source = await run.Sources.LocateAsync(stage, ct);
                    var previous = source == StageSource.Built && run.Cache is { } cache ? await cache.FindAsync(image, stage, ct) : null;
                    stages.Add(StageReports.Of(stage, source) with { CacheFrom = previous?.Image.ToString() });
                }
                var build = stages.Any(st => st.Source == StageSource.Built);
                rows.Add(new PlannedImage(image.Name, image.Key, image.Spec.Parent, build ? PlanAction.Build : PlanAction.Reuse)
                {
                    Platform = run.Platform.ToString(), Stages = stages, Reason = build ? reasons.For(image).ToString() : null,
                });
            }
        log(SummaryTable.Render(
            ["IMAGE", "PLATFORM", "PARENT", "KEY", "STATUS", "STAGES"],
            rows.Select(r => (IReadOnlyList<string>)[r.Name, r.Platform, r.Parent ?? "-", r.Key, r.Status.ToString().ToLowerInvariant() + (r.Reason is { } why ? $" ({why})" : ""),
                string.Join(", ", r.Stages.Select(st => $"{st.Stage}: {st.Source.ToString().ToLowerInvariant()}" +
                                                        (st.CacheFrom is { } c ? $" (cache from {c})" : "")))])).TrimEnd());
        if (VaultProofs is { } vault) log(vault);
        var path = Path.Combine(artifactsDirectory, "plan.json");
        ReportFiles.WritePlan(path, rows);
        var diagram = ChainDiagram.Mermaid(rows.Select(r => new ChainNode(r.Name, r.Parent, r.Platform, r.Status == PlanAction.Build, r.Reason)));
        IO.AtomicFile.WriteAllText(DiagramPath, diagram);
        log(diagram.TrimEnd());
        log($"Plan: {path}; the chain as a Mermaid diagram: {DiagramPath}");
        return rows;
    }
}
