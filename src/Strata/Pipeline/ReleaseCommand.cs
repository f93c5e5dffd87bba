using Strata.Images;
using Strata.Registry;

namespace Strata.Pipeline;

/// <summary>
/// The release verb: build what neither this engine nor the registry has, smoke-test what no one has
/// proven under these checks, push each image's key tags (core, then published, then its proof tag)
/// once it passed, and only after the whole chain passed move the moving tags in the registry
/// (re-tagging the existing manifests). Each proven manifest gets its SBOM, provenance and smoke report
/// before any tag moves. A re-run finishes what a crash left.
/// </summary>
public sealed class ReleaseCommand(BuildPlan plan, BuildCommand build, ProveCommand prove, StageSources sources, RunRecord record,
    RegistryLocation registry, string repository, string? releaseTag, AttachCommand attach, Action<string> log)
{
    public async Task RunAsync(CancellationToken ct = default)
    {
        attach.Begin();
        foreach (var image in plan.Images)
        {
            await build.ResolveAsync(image.Name, needLocal: false, ct);
            await prove.RunAsync(image.Name, ct);
            foreach (var stage in image.Stages) await sources.PushAsync(image, stage, ct);
            var proofTag = prove.ProofTag(image.Name);
            if (await sources.FindTagAsync(proofTag, ct) is null) await sources.TagRemoteAsync(image.Published, proofTag, ct);
            record.Record(record.Get(image.Name)! with { BytesPushed = sources.BytesPushed(image) });
            await attach.AttachAsync(image, (await sources.FindRemoteAsync(image.Published, ct))!.Digest, ct); // per manifest digest
        }
        // Every image passed: now, and only now, the moving tags move.
        foreach (var image in plan.Images)
        {
            string[] tags = releaseTag is { } version ? [image.Name, $"{image.Name}-{version}"] : [image.Name];
            foreach (var tag in tags)
            {
                await sources.TagRemoteAsync(image.Published, tag, ct);
                log($"==> {image.Name}: {registry.ImageName(repository)}:{tag} -> {image.Published.KeyTag}");
                attach.TagWritten(image, tag);
            }
        }
        attach.Finish();
    }
}
