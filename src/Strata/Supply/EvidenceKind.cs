namespace Strata.Supply;

/// <summary>The three things that travel with an image manifest, each an OCI 1.1 artefact of its own artifactType.</summary>
public enum EvidenceKind { Sbom, Provenance, SmokeReport }

public static class EvidenceKinds
{
    public static readonly IReadOnlyList<EvidenceKind> All = [EvidenceKind.Sbom, EvidenceKind.Provenance, EvidenceKind.SmokeReport];

    /// <summary>The artefact manifest's artifactType (and its first layer's media type).</summary>
    public static string ArtifactType(this EvidenceKind kind) => kind switch
    {
        EvidenceKind.Sbom => "application/vnd.cyclonedx+json",
        EvidenceKind.Provenance => "application/vnd.in-toto+json",
        EvidenceKind.SmokeReport => "application/vnd.dev.strata.smoke-report.v1+json",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static EvidenceKind? FromArtifactType(string? artifactType) => All.Cast<EvidenceKind?>().FirstOrDefault(k => k!.Value.ArtifactType() == artifactType);

    public static string Title(this EvidenceKind kind) => kind switch
    {
        EvidenceKind.Sbom => "SBOM",
        EvidenceKind.Provenance => "provenance",
        _ => "smoke report",
    };
}
