using Strata.Images;
using Strata.Smoke;

namespace Strata.Pipeline;

/// <summary>A smoke run failed: the image stays unproven and its moving tag where it was.</summary>
public sealed class SmokeFailedException(string message, SmokeResult result) : Exception(message)
{
    public SmokeResult Result { get; } = result;
}

/// <summary>Something asked to move a moving tag onto an image that has not passed its smoke tests.</summary>
public sealed class PromotionRefusedException(string message) : Exception(message);

/// <summary>
/// The prove verb and its gate: smoke-tests an image unless it was proven under the same checks (here, or
/// in a release elsewhere: its proof tag), remembers a pass and nothing else, and promotes (moves the local
/// moving tag) only a proven image, whoever asks.
/// </summary>
public sealed class ProveCommand(BuildPlan plan, ISmokeRunner smoke, SmokeProof proofs, StageSources sources, ChainBuilder builder,
    RunRecord record, Engine.IImageStore images, Action<string> log)
{
    public string ProofKey(string image) => smoke.ProofKey(plan.Get(image));

    /// <summary>Whether the image, as planned now, passed its smoke tests (in this run or an earlier one).</summary>
    public bool IsProven(string image) => proofs.IsProven(ProofKey(image));

    /// <summary>The registry tag that records a proof: the published key tag plus the proof key.</summary>
    public string ProofTag(string image) => KeyTag.Proven(plan.Get(image).Published.KeyTag.Tag!, ProofKey(image));

    /// <summary>
    /// Smoke-tests the image's published stage unless an earlier run proved it under the same checks,
    /// and remembers a pass. A failure throws <see cref="SmokeFailedException"/>: nothing is remembered.
    /// </summary>
    public async Task RunAsync(string image, CancellationToken ct = default)
    {
        var planned = plan.Get(image);
        var proofKey = ProofKey(image);
        if (await IsProvenAnywhereAsync(image, ct)) return;
        await sources.EnsureLocalAsync(planned, planned.Published, ct);
        var result = await smoke.RunAsync(planned, ct);
        record.Record(result);
        if (!result.Passed)
            throw new SmokeFailedException(
                $"{image}: {result.FailedCount} smoke check(s) failed; {planned.MovingTag} was not moved. Report: {result.ReportPath}", result);
        proofs.Record(proofKey, result);
    }

    /// <summary>
    /// Whether the image passed its smoke tests under these checks here, or in a release elsewhere (its proof tag in the registry
    /// carries its key); a proof found in the registry is remembered here. Runs no test.
    /// </summary>
    public async Task<bool> IsProvenAnywhereAsync(string image, CancellationToken ct = default)
    {
        var planned = plan.Get(image);
        var proofKey = ProofKey(image);
        if (proofs.IsProven(proofKey))
        {
            log($"==> {image} ({plan.Platform}): smoke tests passed earlier for {planned.Published.KeyTag}");
            return true;
        }
        if (await sources.FindTagAsync(ProofTag(image), ct) is not { } marker || marker.Labels.GetValueOrDefault(ChainBuilder.KeyLabel) != planned.Key)
            return false;
        log($"==> {image} ({plan.Platform}): smoke tests passed in an earlier release ({marker.Name})");
        proofs.Record(proofKey, new SmokeResult(image, planned.Published.KeyTag, [], null, null, TimeSpan.Zero));
        return true;
    }

    /// <summary>Moves the image's local moving tag onto its published stage: only a proven image is promoted.</summary>
    public async Task PromoteAsync(string image, CancellationToken ct = default)
    {
        var planned = plan.Get(image);
        if (!IsProven(image))
            throw new PromotionRefusedException(
                $"{image}: {planned.Published.KeyTag} has not passed its smoke tests, so {planned.MovingTag} stays where it is. " +
                $"Prove it first: ./build.sh --target={Targets.SmokeOf(image)}");
        await sources.EnsureLocalAsync(planned, planned.Published, ct);
        // The size_budget gate holds whoever promotes (the build checks it first, before any smoke test).
        var bytes = (await images.InspectImagesAsync([planned.Published.KeyTag], ct)).Single().Size;
        if (planned.Spec.SizeBudget is { } budget && bytes > budget.Bytes)
            SizeBudget.Check(planned.Spec, plan.Platform, bytes, ImageSize.Of(await images.ReadLayersAsync(planned.Published.KeyTag, ct)));
        await builder.PromoteAsync(plan, image, ct);
    }

    /// <summary>The smoke target of one image: prove it, then move its tag.</summary>
    public async Task ProveAndPromoteAsync(string image, CancellationToken ct = default)
    {
        await RunAsync(image, ct);
        await PromoteAsync(image, ct);
    }
}
