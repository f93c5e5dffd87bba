using Strata.Oci;
using Strata.Registry;
using Strata.Reporting;

namespace Strata.Supply;

/// <summary>One image to verify: its moving tag and key tag in the registry and what its evidence must say (digest aside).</summary>
public sealed record VerifyTarget(string Image, string MovingTag, string KeyTag, string Key, string ProofKey, IReadOnlyList<PinnedBinary> Binaries)
{
    /// <summary>Where the moving tag is an OCI image index: the platform whose entry is verified (null: the registry's choice).</summary>
    public Oci.Platform? Platform { get; init; }
}

/// <summary>What verify found for one moving tag: its digest and, per kind, the problem (null: it holds up).</summary>
public sealed record VerifyRow(string Image, string MovingTag, Digest? Digest, string? TagProblem, IReadOnlyDictionary<EvidenceKind, string?> Evidence)
{
    /// <summary>The platform whose manifest was verified (an index's entry); null where the tag is no index.</summary>
    public string? Platform { get; init; }

    /// <summary>The vault runtime its passing smoke report names (for a reused vault proof: the image whose run it rests on); null: none.</summary>
    public string? VaultRuntime { get; init; }

    public bool Ok => TagProblem is null && Evidence.Values.All(p => p is null);

    private string Named => Platform is null ? Image : $"{Image} ({Platform})";

    public IEnumerable<string> Problems => (TagProblem is null ? [] : new[] { $"{Named}: {TagProblem}" })
        .Concat(Evidence.Where(e => e.Value is not null).Select(e => $"{Named}: the {e.Key.Title()} {e.Value}"));
}

/// <summary>Verify failed: something is missing or inconsistent; the message lists every problem and the fix.</summary>
public sealed class VerifyFailedException(string message) : Exception(message);

/// <summary>
/// What a consumer runs before trusting a tag: for each moving tag, its digest, that the image's key tag
/// names the same manifest with the key this checkout plans, and an SBOM (with every locked tool and its
/// sha256), a provenance (naming this digest and key) and a passing smoke report (under the current
/// checks' proof key) attached to it. Changes nothing.
/// </summary>
public sealed class EvidenceVerifier(IRegistry registry, ImageRepository repository)
{
    private readonly Referrers _referrers = new(registry, repository);

    /// <summary>The repository in the registry, with <paramref name="tag"/>: what the registry is asked by.</summary>
    private ImageReference Remote(string tag) => registry!.Location.Reference(repository).WithTag(tag);

    public async Task<VerifyRow> VerifyAsync(VerifyTarget target, CancellationToken ct = default)
    {
        var moving = await MovingAsync(target, ct);
        if (moving is null)
            return new VerifyRow(target.Image, target.MovingTag, null,
                $"{registry.Location.ImageName(repository)}:{target.MovingTag} is not in the registry{(target.Platform is { } p ? $" (or lists no {p} image)" : "")}",
                EvidenceKinds.All.ToDictionary(k => k, _ => (string?)"cannot be checked")) { Platform = target.Platform?.ToString() };
        var tagProblem = await TagProblemAsync(target, moving, ct);
        var expected = new Expectation(target.Image, moving.Digest, target.Key, target.ProofKey, target.Binaries);
        var referrers = await _referrers.ListAsync(moving.Digest, ct);
        var evidence = new Dictionary<EvidenceKind, string?>();
        string? vaultRuntime = null;
        foreach (var kind in EvidenceKinds.All)
        {
            var ofKind = referrers.Where(r => r.ArtifactType == kind.ArtifactType()).ToList();
            if (ofKind.Count == 0)
            {
                evidence[kind] = "is missing";
                continue;
            }
            string? problem = "is listed in the referrers index, but its manifest or blobs are gone (deleted?)";
            foreach (var referrer in ofKind)
            {
                if (await _referrers.ReadAsync(referrer, ct) is not { } layers) continue;
                problem = expected.Judge(kind, layers);
                if (problem is null && kind == EvidenceKind.SmokeReport) vaultRuntime = SmokeAttestation.Read(layers[0].Content).VaultRuntime;
                if (problem is null) break;
            }
            evidence[kind] = problem;
        }
        return new VerifyRow(target.Image, target.MovingTag, moving.Digest, tagProblem, evidence) { Platform = target.Platform?.ToString(), VaultRuntime = vaultRuntime };
    }

    /// <summary>The image the moving tag names: itself, or where it is an index, its entry for the target's platform.</summary>
    private async Task<RemoteImage?> MovingAsync(VerifyTarget target, CancellationToken ct)
    {
        if (target.Platform is { } platform && await registry.FindManifestAsync(Remote(target.MovingTag), ct) is { MediaType: Oci.ImageIndex.MediaType } index)
            return Oci.ImageIndex.Read(index.Body).FirstOrDefault(m => m.Platform == platform) is { } entry
                ? await registry.FindAsync(registry.Location.Reference(repository).WithDigest(entry.Digest), ct)
                : null;
        return await registry.FindAsync(Remote(target.MovingTag), ct);
    }

    private async Task<string?> TagProblemAsync(VerifyTarget target, RemoteImage moving, CancellationToken ct)
    {
        var key = moving.Labels.GetValueOrDefault(Images.ChainBuilder.KeyLabel);
        if (key != target.Key)
            return $"the moving tag names an image of key {key?[..Math.Min(12, key.Length)] ?? "(none)"}, this checkout plans {target.Key[..12]} " +
                   "(release this checkout, or verify from the commit that was released)";
        var keyTag = await registry.FindAsync(Remote(target.KeyTag), ct);
        if (keyTag is null) return $"its key tag {target.KeyTag} is not in the registry";
        return keyTag.Digest == moving.Digest ? null
            : $"its key tag {target.KeyTag} names {keyTag.Digest.Short}, the moving tag {moving.Digest.Short}: the key tag was moved";
    }

    /// <summary>The table verify prints: a row per moving tag, a column per kind.</summary>
    public static string Table(IReadOnlyList<VerifyRow> rows) => SummaryTable.Render(
        ["image", "platform", "digest", "tags", "sbom", "provenance", "smoke report"],
        rows.Select(r => (IReadOnlyList<string>)[
            r.MovingTag == r.Image ? r.Image : $"{r.Image} ({r.MovingTag})", r.Platform ?? "-", r.Digest is null ? "-" : r.Digest.Short, r.TagProblem is null ? "ok" : "FAIL",
            .. EvidenceKinds.All.Select(k => r.Evidence[k] is null ? "ok" : "FAIL")]));
}
