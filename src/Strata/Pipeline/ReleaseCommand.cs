using Strata.Oci;
using Strata.Registry;

namespace Strata.Pipeline;

/// <summary>A moving tag cannot become the index of every declared platform: one of them has no proven image in the registry.</summary>
public sealed class IndexIncompleteException(string message) : Exception(message);

/// <summary>
/// The release verb, per platform: build what neither this engine nor the registry has, smoke-test what no one has
/// proven under these checks, push each image's key tags (core, then published, then its proof tag) once it passed.
/// Then, and only when every image of every declared platform is proven in the registry (built in this run, or
/// already there from another machine: taken as it is), the moving tags <c>&lt;image&gt;</c> and
/// <c>&lt;image&gt;-vX.Y.Z</c> become OCI image indexes listing each platform's image, written through the registry
/// API. An index equal to the one there is not written again. Each proven manifest gets its SBOM, provenance and
/// smoke report (<see cref="AttachCommand"/>) before any tag moves. A re-run finishes what a crash left.
/// </summary>
/// <param name="declared">A run for every platform strata.yaml declares (its plan; nothing is built for those not selected).</param>
/// <param name="selected">The platforms this release builds and proves.</param>
public sealed class ReleaseCommand(IReadOnlyList<PlatformRun> declared, IReadOnlyCollection<Platform> selected, IRegistry registry,
    RunRecord record, ImageRepository repository, string? releaseTag, AttachCommand attach, Action<string> log)
{
    /// <summary>The repository in the registry, with <paramref name="tag"/>: what the registry is asked by.</summary>
    private ImageReference Remote(string tag) => registry!.Location.Reference(repository).WithTag(tag);

    public async Task RunAsync(CancellationToken ct = default)
    {
        attach.Begin();
        foreach (var run in declared.Where(r => selected.Contains(r.Platform)))
            foreach (var image in run.Plan.Images)
            {
                await run.Build.ResolveAsync(image.Name, needLocal: false, ct);
                await run.Prove.RunAsync(image.Name, ct);
                foreach (var stage in image.Stages) await run.Sources.PushAsync(image, stage, ct);
                var proofTag = run.Prove.ProofTag(image.Name);
                if (await run.Sources.FindTagAsync(proofTag, ct) is null) await run.Sources.TagRemoteAsync(image.Published, proofTag, ct);
                record.Record(record.Get(image.Name, run.Platform)! with { BytesPushed = run.Sources.BytesPushed(image) });
                await attach.AttachAsync(run, image, (await run.Sources.FindRemoteAsync(image.Published, ct))!.Digest, ct, // per manifest digest
                    record.Get(image.Name, run.Platform));
            }
        await MoveTagsAsync(requireEveryPlatform: false, ct);
        var graph = declared[0].Plan.Graph;
        attach.Finish(record.Images.Select(r => new Reporting.ChainNode(r.Name, graph.Get(r.Name).Parent, r.Platform,
            r.Status == Reporting.ImageStatus.Built, r.Reason)).ToList());
    }

    /// <summary>
    /// The release-index target: the moving tags become indexes of the per-platform images other runs pushed and proved
    /// (one native runner per architecture). Builds, pulls and proves nothing; fails naming what is missing.
    /// </summary>
    public async Task IndexAsync(CancellationToken ct = default)
    {
        attach.Begin();
        await MoveTagsAsync(requireEveryPlatform: true, ct);
        attach.Finish();
    }

    private async Task MoveTagsAsync(bool requireEveryPlatform, CancellationToken ct)
    {
        // First every platform of every image, then (and only if nothing is missing) the moving tags.
        var indexes = new List<(string Image, List<PlatformManifest> Entries)>();
        var missing = new List<string>();
        foreach (var image in declared[0].Plan.Graph.Images)
        {
            var entries = new List<PlatformManifest>();
            foreach (var run in declared.Where(r => r.Plan.Contains(image.Name)))
            {
                var planned = run.Plan.Get(image.Name);
                var manifest = await registry.FindManifestAsync(Remote(planned.Published.KeyTag.Tag!), ct);
                if (manifest is null || await run.Sources.FindRemoteAsync(planned.Published, ct) is null || !await run.Prove.IsProvenAnywhereAsync(image.Name, ct))
                {
                    missing.Add($"{image.Name} for {run.Platform} ({planned.Published.KeyTag.Tag}{(manifest is null ? "" : ", not proven")})");
                    continue;
                }
                entries.Add(new PlatformManifest(run.Platform, manifest.MediaType, manifest.Digest, manifest.Body.Length));
            }
            indexes.Add((image.Name, entries));
        }
        if (missing.Count > 0)
        {
            var message = $"the moving tags stay where they are: no proven image in {registry.Location} of {string.Join("; ", missing)}. " +
                          "Release those platforms (--target=release --platform=...; on their own runners or here under emulation), then " +
                          $"./build.sh --target={Targets.ReleaseIndex}.";
            if (requireEveryPlatform) throw new IndexIncompleteException(message);
            log("==> " + message);
            return;
        }

        foreach (var (image, entries) in indexes)
        {
            var index = ImageIndex.Assemble(entries);
            var digest = Digest.Of(index);
            string[] tags = releaseTag is { } version ? [image, $"{image}-{version}"] : [image];
            foreach (var tag in tags)
            {
                attach.IndexWritten(image, tag, digest, entries);
                if ((await registry.FindManifestAsync(Remote(tag), ct))?.Digest == digest)
                {
                    log($"==> {image}: {registry.Location.ImageName(repository)}:{tag} is already the index {digest.Short}");
                    continue;
                }
                await registry.PushManifestAsync(Remote(tag), ImageIndex.MediaType, index, ct);
                log($"==> {image}: {registry.Location.ImageName(repository)}:{tag} -> index {digest.Short} of " +
                    string.Join(", ", ImageIndex.Read(index).Select(m => $"{m.Platform} {m.Digest.Short}")));
            }
        }
    }
}
