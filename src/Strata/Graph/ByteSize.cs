using System.Globalization;
using System.Text.RegularExpressions;

namespace Strata.Graph;

/// <summary>A number of bytes as strata.yaml writes it ("1.5GB", "800MB", "2GiB"): decimal units as `docker images` shows sizes, binary ones with "i".</summary>
public readonly partial record struct ByteSize(long Bytes)
{
    public static bool TryParse(string text, out ByteSize size)
    {
        size = default;
        var m = Pattern().Match(text.Trim());
        if (!m.Success || !double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return false;
        var unit = m.Groups[2].Value.ToUpperInvariant();
        double factor = unit switch
        {
            "" or "B" => 1, "KB" => 1e3, "MB" => 1e6, "GB" => 1e9, "TB" => 1e12,
            "KIB" => 1L << 10, "MIB" => 1L << 20, "GIB" => 1L << 30, "TIB" => 1L << 40,
            _ => 0,
        };
        if (factor == 0 || number <= 0) return false;
        size = new ByteSize((long)Math.Round(number * factor));
        return true;
    }

    /// <summary>"1.62 GB", "820 MB", "12 kB": decimal, as `docker images` prints sizes.</summary>
    public override string ToString() => Format(Bytes);

    public static string Format(long bytes) => Math.Abs(bytes) switch
    {
        >= 1_000_000_000 => (bytes / 1e9).ToString("0.00", CultureInfo.InvariantCulture) + " GB",
        >= 1_000_000 => (bytes / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
        >= 1_000 => (bytes / 1e3).ToString("0", CultureInfo.InvariantCulture) + " kB",
        _ => bytes + " B",
    };

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$")]
    private static partial Regex Pattern();
}
