using Strata.Engine;
using Strata.Images;
using Strata.Oci;
using Strata.Registry;
using Strata.Smoke;
using Strata.Supply;
using Strata.Tools;

namespace Strata.Pipeline;

/// <summary>
/// The release's supply-chain step, per image manifest digest (one per platform): attaches the SBOM (read from
/// the image through the engine), the provenance and the smoke report (<see cref="EvidenceAttacher"/>, which
/// refuses an unproven image), and keeps the release record (artifacts/release.json: the platforms' manifests and
/// the indexes the moving tags became; deleted when a release starts, written when it finished) and the release
/// notes (the previous moving tag's SBOM, for the same platform, against the new one).
/// </summary>
public sealed class AttachCommand(IImageStore images, IImageBuilder builds, IRegistry registry, ImageRepository repository, SmokeProof proofs, ToolSet? tools, string? commit,
    BuilderIdentity builtBy, string artifactsDirectory, Action<string> log)
{
    private readonly Referrers _referrers = new(registry, repository);

    /// <summary>The repository in the registry, with <paramref name="tag"/>: what the registry is asked by.</summary>
    private ImageReference Remote(string tag) => registry!.Location.Reference(repository).WithTag(tag);
    private readonly List<ImageChange> _changes = [];
    private readonly List<ReleasedImage> _released = [];
    private readonly List<ReleasedIndex> _indexes = [];

    public ReleaseRecord Record { get; } = new(Path.Combine(artifactsDirectory, "release.json"));
    /// <summary>Said in the provenance and the notes when the images are normalised (--reproducible; issue 31).</summary>
    public Reproducible.ReproducibleClaim? Reproducible { get; init; }
    public string NotesPath => Path.Combine(artifactsDirectory, "release-notes.md");

    /// <summary>A release starts: no earlier record may stand for it.</summary>
    public void Begin()
    {
        Record.Delete();
        if (File.Exists(NotesPath)) File.Delete(NotesPath);
    }

    /// <summary>Attaches what the manifest <paramref name="digest"/> of <paramref name="image"/> (of the run's platform) lacks, and notes it for the record.</summary>
    /// <param name="result">What this run did with the image (its unpacked size and waste, when measured).</param>
    public async Task AttachAsync(PlatformRun run, ImagePlan image, Digest digest, CancellationToken ct = default, Reporting.ImageResult? result = null)
    {
        var expected = Expect(run.Plan, image, digest, run.Prove.ProofKey(image.Name));
        var parent = await ParentAsync(run, image, ct); // asked of the registry once: the SBOM, the provenance and the record name it
        await new EvidenceAttacher(_referrers, proofs, log).AttachAsync(expected, (kind, c) => MakeAsync(run, image, digest, parent, kind, c), ct);
        var previous = await PreviousDigestAsync(image, ct); // the moving tag's, for this platform, before it moves
        var now = await SbomComponentsAsync(digest, ct) ?? [];
        var compressed = (await run.Sources.FindRemoteAsync(image.Published, ct))?.Size;
        var previousCompressed = previous is null ? null : (await registry.FindAsync(registry.Location.Reference(repository).WithDigest(previous), ct))?.Size;
        _changes.Add(new ImageChange($"{image.Name} ({image.Platform})", previous, digest,
            previous is null ? null : previous == digest ? now : await SbomComponentsAsync(previous, ct), now)
        {
            Size = compressed is { } size ? new ReleasedSize(size, previousCompressed, result?.SizeBytes, result?.WastedBytes) : null,
        });
        _released.Add(new ReleasedImage(image.Name, registry.Location.ImageName(repository), image.Platform.ToString(), digest.Value, image.Key, expected.ProofKey,
            BaseOs(run.Plan).Digest ?? BaseOs(run.Plan).ToString(), parent?.Digest, [image.Published.KeyTag.Tag!]));
    }

    /// <summary>A moving tag this release made an index of the platforms' manifests.</summary>
    public void IndexWritten(string image, string tag, Digest digest, IReadOnlyList<PlatformManifest> entries)
    {
        var existing = _indexes.FindIndex(i => i.Name == image && i.Digest == digest.Value);
        if (existing >= 0) _indexes[existing] = _indexes[existing] with { Tags = [.. _indexes[existing].Tags, tag] };
        else _indexes.Add(new ReleasedIndex(image, registry.Location.ImageName(repository), digest.Value, [tag],
            entries.Select(e => e.Platform.ToString()).ToList()));
    }

    /// <summary>The release finished (every image of its platforms passed; the moving tags moved if every platform was there): the record and the notes are written.</summary>
    /// <param name="chain">The release's images, built or reused and why, for the notes' picture.</param>
    public void Finish(IReadOnlyList<Reporting.ChainNode>? chain = null)
    {
        Record.Write(_released, _indexes);
        IO.AtomicFile.WriteAllText(NotesPath, ReleaseNotes.Render(_changes, chain) + Reproducible?.Markdown());
        log($"==> release record: {Record.Path}; notes: {NotesPath}");
    }

    /// <summary>The manifest digest the image's moving tag names for this image's platform (an index's entry), or null.</summary>
    private async Task<Digest?> PreviousDigestAsync(ImagePlan image, CancellationToken ct)
    {
        if (await registry.FindManifestAsync(Remote(image.Name), ct) is not { } moving) return null;
        return moving.MediaType == ImageIndex.MediaType
            ? ImageIndex.Read(moving.Body).FirstOrDefault(m => m.Platform == image.Platform)?.Digest
            : moving.Digest;
    }

    /// <summary>What the image's evidence must say: its digest and key, the current proof key, every binary its lineage installs.</summary>
    public static Expectation Expect(BuildPlan plan, ImagePlan image, Digest digest, string proofKey) =>
        new(image.Name, digest, image.Key, proofKey, Binaries(plan, image));

    public static IReadOnlyList<PinnedBinary> Binaries(BuildPlan plan, ImagePlan image) => plan.Lineage(image.Name)
        .SelectMany(i => i.Core.Tools)
        .Select(t =>
        {
            var locked = plan.Lock.Get(t.Name);
            var asset = locked.Asset(t.Name, image.Platform.Architecture);
            return new PinnedBinary(t.Name, locked.Version, asset.Url, asset.Sha256);
        })
        .ToList();

    private static ImageReference BaseOs(BuildPlan plan) => plan.Graph.BaseOs.Image;

    /// <summary>What the image was built FROM: its parent's core in the registry, or the base OS for the first image.</summary>
    private static async Task<ImageReference?> ParentAsync(PlatformRun run, ImagePlan image, CancellationToken ct)
    {
        if (image.Spec.Parent is not { } parent) return BaseOs(run.Plan);
        var core = run.Plan.Get(parent).Core;
        return await run.Sources.FindRemoteAsync(core, ct) is { } remote ? remote.Pinned : core.KeyTag;
    }

    private async Task<IReadOnlyList<ArtifactLayer>> MakeAsync(PlatformRun run, ImagePlan image, Digest digest, ImageReference? parent, EvidenceKind kind,
        CancellationToken ct)
    {
        var (plan, prove, sources) = (run.Plan, run.Prove, run.Sources);
        var reference = registry.Location.Reference(repository).WithDigest(digest);
        switch (kind)
        {
            case EvidenceKind.Sbom:
                // Read from the image itself: pulled (by digest) only when this machine does not have it.
                await sources.EnsureLocalAsync(image, image.Published, ct);
                var contents = await ImageContents.ReadAsync(images, image.Published.KeyTag, ct);
                return [new ArtifactLayer(kind.ArtifactType(), Sbom.Write(new SbomInput(reference, image.Key, image.Platform, contents,
                    Binaries(plan, image), parent) { LockedPackages = plan.LockedPackages(image.Name) }))];
            case EvidenceKind.Provenance:
                var builder = await builds.ResolveBuilderAsync(ct);
                var npm = plan.Lineage(image.Name).SelectMany(i => tools?.ForImage(i.Name) ?? []).OfType<NpmTool>()
                    .ToDictionary(t => t.Package, t => plan.Lock.Get(t.Name).Version);
                return [new ArtifactLayer(kind.ArtifactType(), Provenance.Write(new ProvenanceInput(reference, image.Key, image.Name, image.Platform,
                    builder.Name, builtBy, commit, BaseOs(plan), parent, Binaries(plan, image), npm,
                    image.ThinLayer?.BuildArgs.GetValueOrDefault(BuildPlanner.DotfilesHashArg)) { Reproducible = Reproducible }))];
            default:
                var proofKey = prove.ProofKey(image.Name);
                var (proof, junit) = proofs.Read(proofKey);
                var report = new SmokeAttestation(image.Name, digest.Value, image.Key, proofKey, Passed: proofs.IsProven(proofKey),
                    proof?.Passed ?? 0, proof?.VaultRuntime, SmokeProof.StrataVersion);
                return junit is null
                    ? [new ArtifactLayer(kind.ArtifactType(), report.ToJson())]
                    : [new ArtifactLayer(kind.ArtifactType(), report.ToJson()), new ArtifactLayer(SmokeAttestation.JUnitMediaType, junit)];
        }
    }

    private async Task<IReadOnlyList<SbomComponent>?> SbomComponentsAsync(Digest digest, CancellationToken ct)
    {
        foreach (var referrer in (await _referrers.ListAsync(digest, ct)).Where(r => r.ArtifactType == EvidenceKind.Sbom.ArtifactType()))
            if (await _referrers.ReadAsync(referrer, ct) is [var sbom, ..]) return Sbom.ReadComponents(sbom.Content);
        return null;
    }
}
