using Strata.Engine;
using Strata.Images;
using Strata.Pipeline;
using Strata.BaseOs;

namespace Strata.Tests.Support;

/// <summary>
/// The repository's own chain (strata.yaml, tools.yaml, tools.lock.json), built through the pipeline
/// exactly as `./build.sh --skip-tools` builds it: reused when this checkout built it already.
/// GitHub-released binaries are left out: neither GitHub nor a mirror is reachable from the tests.
/// </summary>
public static class RealChain
{
    /// <summary>The locks of what builds the base OS, and the real chain on it (see <see cref="CrossProcessLock"/>).</summary>
    public const string BaseOsLock = "base-os";
    public const string BuildLock = "real-chain";

    public static RunOptions Options() => new()
    {
        RepositoryRoot = RepositoryRoot.Find(), SkipBinaryTools = true, CacheDirectory = RunOptions.DefaultCacheDirectory(Environment.GetEnvironmentVariable),
    };

    public static async Task<BuildPlan> PlanAsync()
    {
        using var pipeline = new ImagePipeline(Options(), _ => { });
        return (await pipeline.OnlyRunAsync()).Plan;
    }

    /// <summary>Builds (or reuses) the image and its ancestors; returns the image's immutable key tag.</summary>
    public static async Task<string> BuildAsync(IEngine docker, string image, Action<string> log)
    {
        // The test lanes run side by side: one builds, the others wait and reuse. The base OS has a lock
        // of its own, so a lane that needs only the OS (EngineFixture) does not wait for a whole chain.
        using var pipeline = new ImagePipeline(Options(), log, docker);
        using (await CrossProcessLock.AcquireAsync(BaseOsLock))
            await EngineFixture.BaseOsOn(docker, log).EnsureAsync(pipeline.Graph.BaseOs, (await pipeline.OnlyRunAsync()).Plan.Platform);
        using var _ = await CrossProcessLock.AcquireAsync(BuildLock);
        return (await (await pipeline.OnlyRunAsync()).Build.LineageAsync(image)).Tag;
    }
}
