using Strata.Pipeline;

namespace Strata.Tests.Support;

public static class PipelineRuns
{
    /// <summary>The run of the pipeline's one platform (a test that selects one, or the engine's own): its plan and commands.</summary>
    public static async Task<PlatformRun> OnlyRunAsync(this ImagePipeline pipeline) => Assert.Single(await pipeline.RunsAsync());
}
