using System.Text.RegularExpressions;

namespace Strata.Downloads;

/// <summary>The one spelling of a sha256 Strata accepts in locks, caches and checksums: 64 lower-case hex digits.</summary>
public static partial class Sha256Hex
{
    public static bool IsValid(string text) => Pattern().IsMatch(text);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Pattern();
}
