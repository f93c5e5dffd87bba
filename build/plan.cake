// plan: each image's key and whether a run would build or reuse it, without building anything.
using Strata.Reporting;

Task("plan")
    .Description("Print each image's key and whether it would be built or reused; write artifacts/plan.json")
    .Does(async () =>
    {
        var rows = await strata.Builder.PlanAsync(strata.Plan);
        Console.Write(SummaryTable.Render(
            new[] { "IMAGE", "PARENT", "KEY", "STATUS" },
            rows.Select(r => (IReadOnlyList<string>)new[] { r.Name, r.Parent ?? "-", r.Key, r.Status })));
        var path = System.IO.Path.Combine(strata.ArtifactsDirectory, "plan.json");
        ReportFiles.WritePlan(path, rows);
        Console.WriteLine($"Plan: {path}");
    });
