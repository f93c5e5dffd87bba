using System.Text;
using System.Text.Json;

namespace Strata.Reporting;

/// <summary>Writes the machine-readable reports under artifacts/, atomically.</summary>
public static class ReportFiles
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public static void WriteBuildReport(string path, IEnumerable<ImageResult> results) =>
        WriteAtomically(path, JsonSerializer.Serialize(new { images = results }, Options));

    public static void WritePlan(string path, IEnumerable<PlannedImage> images) =>
        WriteAtomically(path, JsonSerializer.Serialize(new { images }, Options));

    /// <summary>Writes to a temporary file beside the target, then renames it: readers never see half a file.</summary>
    public static void WriteAtomically(string path, string content)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.UTF8.GetBytes(content.EndsWith('\n') ? content : content + "\n"));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
