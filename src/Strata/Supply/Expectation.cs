using Strata.Oci;

namespace Strata.Supply;

/// <summary>
/// What the evidence of one image manifest must say to count: its digest, the content key the plan gives
/// it, the proof key of the current checks and the pinned binaries its SBOM must list with their sha256.
/// </summary>
public sealed record Expectation(string Image, Digest Digest, string Key, string ProofKey, IReadOnlyList<PinnedBinary> Binaries)
{
    /// <summary>Why the artefact's layers do not hold up for this manifest; null when they do.</summary>
    public string? Judge(EvidenceKind kind, IReadOnlyList<ArtifactLayer> layers)
    {
        if (layers.Count == 0) return "has no content";
        var content = layers[0].Content;
        try
        {
            switch (kind)
            {
                case EvidenceKind.Sbom:
                    if (Sbom.ReadKey(content) is var sbomKey && sbomKey != Key) return $"describes key {Short(sbomKey)}, not {Short(Key)}";
                    var components = Sbom.ReadComponents(content);
                    var missing = Binaries.Where(b => !components.Any(c => c.Name == b.Name && c.Version == b.Version && c.Sha256 == b.Sha256))
                        .Select(b => $"{b.Name} {b.Version}").ToList();
                    return missing.Count == 0 ? null : $"lacks locked tool(s) {string.Join(", ", missing)} with their sha256";
                case EvidenceKind.Provenance:
                    var claims = Provenance.Read(content);
                    if (claims.SubjectDigest != Digest.Value) return $"is about {claims.SubjectDigest}, not this manifest";
                    return claims.Key == Key ? null : $"names key {Short(claims.Key)}, not {Short(Key)}";
                default:
                    var report = SmokeAttestation.Read(content);
                    if (!report.Passed) return "reports a failure";
                    if (report.Digest != Digest.Value) return $"is about {report.Digest}, not this manifest";
                    return report.ProofKey == ProofKey ? null
                        : $"was proven under proof key {Short(report.ProofKey)}, the current checks give {Short(ProofKey)}";
            }
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            return $"cannot be read ({e.Message})";
        }
    }

    private static string Short(string? key) => key is null ? "(none)" : key[..Math.Min(12, key.Length)];
}
