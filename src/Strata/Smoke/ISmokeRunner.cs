using Strata.Images;
using Strata.Tools;

namespace Strata.Smoke;

/// <summary>Smoke-tests an image of the plan (<see cref="SmokeRunner"/> is the real one; tests of the pipeline's gates give a fake).</summary>
public interface ISmokeRunner
{
    /// <summary>The key of the image's proof: its content key and everything that decides its smoke tests. Runs nothing.</summary>
    string ProofKey(ImagePlan image);

    /// <summary>Runs every check of the image against its published stage, which must be in the engine. Failed checks do not throw.</summary>
    Task<SmokeResult> RunAsync(ImagePlan image, CancellationToken ct = default);
}
