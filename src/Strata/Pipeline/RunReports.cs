using Strata.Images;
using Strata.Reporting;
using Strata.Smoke;

namespace Strata.Pipeline;

/// <summary>
/// The end of a run, in two explicit steps: <see cref="Write"/> writes artifacts/build-report.json and
/// records the plan in the history prune keeps; <see cref="Summary"/> only renders the tables.
/// </summary>
public sealed class RunReports(RunRecord record, Func<IReadOnlyList<BuildPlan>> plans, string artifactsDirectory, string cacheDirectory)
{
    public string BuildReportPath => Path.Combine(artifactsDirectory, "build-report.json");

    /// <summary>Writes the build report and records the plan's key tags for prune; nothing when no image was built or reused.</summary>
    public void Write()
    {
        if (record.Images.Count == 0) return;
        ReportFiles.WriteBuildReport(BuildReportPath, record.Images);
        var current = plans(); // every declared platform's, as prune keeps them
        PlanHistory.For(cacheDirectory, current[0].Graph.Repository).Record(current); // per repository as strata.yaml names it
    }

    /// <summary>The build table and the smoke table; empty when nothing ran. Writes nothing.</summary>
    public string Summary()
    {
        var text = new System.Text.StringBuilder();
        if (record.Images.Count > 0)
            text.AppendLine().Append(SummaryTable.ForBuild(record.Images)).AppendLine($"Report: {BuildReportPath}");
        if (record.SmokeRuns.Count > 0)
            text.AppendLine().Append(SmokeReport.Summary(record.SmokeRuns));
        return text.ToString();
    }
}
