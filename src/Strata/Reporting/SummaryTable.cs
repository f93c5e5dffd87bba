using System.Globalization;
using System.Text;

namespace Strata.Reporting;

/// <summary>A plain-text table: readable in a terminal and in a CI log alike (no colours, no box drawing).</summary>
public static class SummaryTable
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.Prepend(headers).ToList();
        var widths = headers.Select((_, c) => all.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        for (var r = 0; r < all.Count; r++)
        {
            text.AppendLine(string.Join("  ", all[r].Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
            if (r == 0) text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        }
        return text.ToString();
    }

    public static string ForBuild(IEnumerable<ImageResult> results) => Render(
        ["IMAGE", "PLATFORM", "KEY", "STATUS", "DURATION", "SIZE"],
        results.Select(r => (IReadOnlyList<string>)
        [
            r.Name, r.Platform, r.Key[..12], r.Status.ToString().ToLowerInvariant() + (r.Reason is { } why ? $" ({why})" : ""),
            r.Seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s",
            FormatSize(r.SizeBytes) + (r.WastedBytes is > 0 and var wasted ? $" ({FormatSize(wasted)} wasted)" : ""),
        ]));

    public static string FormatSize(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " KiB",
    };
}
