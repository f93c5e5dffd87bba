using Strata.Images;
using Strata.Oci;
using Strata.Registry;
using Strata.Supply;

namespace Strata.Pipeline;

/// <summary>
/// The verify verb: for each moving tag in the registry (every image, or one), checks that its manifest
/// carries an SBOM with the locked tools, a provenance naming its digest and key, and a passing smoke
/// report under the current checks; prints a table and fails, naming every problem and the fix, on any.
/// </summary>
public sealed class VerifyCommand(IReadOnlyList<PlatformRun> runs, IRegistry registry, ImageRepository repository, Action<string> log)
{
    public async Task<IReadOnlyList<VerifyRow>> RunAsync(string? image = null, CancellationToken ct = default)
    {
        var verifier = new EvidenceVerifier(registry, repository);
        var rows = new List<VerifyRow>();
        var names = runs.SelectMany(r => r.Plan.Images).Select(i => i.Name).Distinct().ToList();
        if (image is not null && !names.Contains(image))
            throw new OptionException($"--image={image}: strata.yaml has no such image (it has {string.Join(", ", names)}).");
        foreach (var run in runs)
            foreach (var planned in run.Plan.Images.Where(i => image is null || i.Name == image))
                rows.Add(await verifier.VerifyAsync(new VerifyTarget(planned.Name, planned.Name, planned.Published.KeyTag.Tag!, planned.Key,
                    run.Prove.ProofKey(planned.Name), AttachCommand.Binaries(run.Plan, planned)) { Platform = run.Platform }, ct));
        log(EvidenceVerifier.Table(rows).TrimEnd());
        foreach (var row in rows.Where(r => r.VaultRuntime is not null))
            log($"  {row.Image}{(row.Platform is { } p ? $" ({p})" : "")}: vault proven on {row.VaultRuntime}");
        var problems = rows.SelectMany(r => r.Problems).ToList();
        if (problems.Count > 0)
            throw new VerifyFailedException(
                $"verify failed for {registry.Location.ImageName(repository)}:\n  " + string.Join("\n  ", problems) +
                "\nA tag without its evidence is not to be trusted. Release again from the released commit " +
                $"(./build.sh --target=release --registry={registry.Location}) to attach what is missing; a moved key tag must be put back first.");
        log($"==> verify: {rows.Count} moving tag(s) carry their SBOM, provenance and a passing smoke report");
        return rows;
    }
}
