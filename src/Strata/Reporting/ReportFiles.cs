using System.Text.Json;
using Strata.IO;

namespace Strata.Reporting;

/// <summary>Writes the machine-readable reports under artifacts/, atomically.</summary>
public static class ReportFiles
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static void WriteBuildReport(string path, IEnumerable<ImageResult> results) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new { images = results }, Options) + "\n");

    public static void WritePlan(string path, IEnumerable<PlannedImage> images) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new { images }, Options) + "\n");
}
