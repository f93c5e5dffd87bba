using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Strata.Oci;

/// <summary>A content digest, <c>ALGORITHM:HEX</c> (<c>sha256:&lt;64 hex&gt;</c>): what names a blob or a manifest in a registry.</summary>
public sealed partial record Digest
{
    private Digest(string value) => Value = value;

    public string Value { get; }

    /// <summary>The sha256 digest of <paramref name="content"/>.</summary>
    public static Digest Of(byte[] content) => new("sha256:" + Convert.ToHexStringLower(SHA256.HashData(content)));

    /// <summary>Parses a digest as a registry or a manifest gives it, or throws <see cref="FormatException"/>.</summary>
    public static Digest Parse(string text) => DigestPattern().IsMatch(text)
        ? new Digest(text)
        : throw new FormatException($"'{text}' is not a digest: expected ALGORITHM:HEX, e.g. sha256:<64 hex digits>.");

    /// <summary>The algorithm and the first 12 hex digits, then "...": enough to tell digests apart in a log line.</summary>
    public string Short => Value.Length > 19 ? Value[..19] + "..." : Value;

    public override string ToString() => Value;

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")]
    private static partial Regex DigestPattern();
}
