using Strata.Graph;
using Strata.Images;
using Strata.Tools;

namespace Strata.Smoke;

/// <summary>The smoke suite on the real engine, with the run's specs, tools and lock.</summary>
public sealed class SmokeRunner(ImageGraph graph, ToolSet tools, ToolLock toolLock, SmokeOptions options, Action<string> log) : ISmokeRunner
{
    private readonly Dictionary<string, string> _proofKeys = [];

    public SmokeOptions Options => options;

    /// <summary>Every check of the image as planned, without running anything (spec errors surface here).</summary>
    public SmokePlan Plan(string image) => SmokeSuite.Plan(graph, image, tools, toolLock, options);

    // Computed once per image, platform and run, like the plan: proving, promoting and releasing all ask for it
    // (by the image's key, which differs per platform: one runner serves every platform of a run).
    public string ProofKey(ImagePlan image)
    {
        if (!_proofKeys.TryGetValue(image.Key, out var key))
            _proofKeys[image.Key] = key = SmokeProof.Key(graph, image.Key,
                SmokeSuite.Plan(graph, image.Name, tools, toolLock, options with { Platform = image.Platform }), options);
        return key;
    }

    public Task<SmokeResult> RunAsync(ImagePlan image, CancellationToken ct = default) =>
        SmokeSuite.RunAsync(graph, image.Name, image.Published.KeyTag, tools, toolLock, options with { Platform = image.Platform }, log, ct);
}
