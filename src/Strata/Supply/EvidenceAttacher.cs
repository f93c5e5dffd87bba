using Strata.Smoke;

namespace Strata.Supply;

/// <summary>Something asked to attach evidence to an image that has not passed its smoke tests.</summary>
public sealed class AttachRefusedException(string message) : Exception(message);

/// <summary>
/// Attaches the SBOM, the provenance and the smoke report to an image manifest, each once: a kind whose
/// referrer is there and holds up (<see cref="Expectation.Judge"/>) is left alone, so a re-run finishes a
/// half-done attach and attaches nothing twice. The gate: never for an image without a recorded pass
/// under the current checks, whoever asks.
/// </summary>
public sealed class EvidenceAttacher(Referrers referrers, SmokeProof proofs, Action<string> log)
{
    /// <summary>Attaches what is missing; <paramref name="make"/> is asked only for the kinds that are. Returns the kinds attached now.</summary>
    public async Task<IReadOnlyList<EvidenceKind>> AttachAsync(Expectation expected,
        Func<EvidenceKind, CancellationToken, Task<IReadOnlyList<ArtifactLayer>>> make, CancellationToken ct = default)
    {
        if (!proofs.IsProven(expected.ProofKey))
            throw new AttachRefusedException(
                $"{expected.Image}: {expected.Digest} has not passed its smoke tests under the current checks, so nothing is attached to it. " +
                $"Prove it first: ./build.sh --target=smoke-{expected.Image}");
        var attached = new List<EvidenceKind>();
        var existing = await referrers.ListAsync(expected.Digest, ct);
        foreach (var kind in EvidenceKinds.All)
        {
            if (await HoldsUpAsync(existing, kind, expected, ct)) continue;
            var layers = await make(kind, ct);
            if (expected.Judge(kind, layers) is { } problem)
                throw new InvalidOperationException($"{expected.Image}: the {kind.Title()} Strata made {problem}; nothing attached.");
            var digest = await referrers.AttachAsync(expected.Digest, kind.ArtifactType(), layers,
                new Dictionary<string, string> { ["dev.strata.key"] = expected.Key, ["dev.strata.image"] = expected.Image }, ct);
            log($"==> {expected.Image}: {kind.Title()} attached to {expected.Digest.Short} as {digest.Short}");
            attached.Add(kind);
        }
        return attached;
    }

    private async Task<bool> HoldsUpAsync(IReadOnlyList<Referrer> existing, EvidenceKind kind, Expectation expected, CancellationToken ct)
    {
        foreach (var referrer in existing.Where(r => r.ArtifactType == kind.ArtifactType()))
            if (await referrers.ReadAsync(referrer, ct) is { } layers && expected.Judge(kind, layers) is null) return true;
        return false;
    }
}
