using Strata.Images;
using Strata.Oci;

namespace Strata.Pipeline;

/// <summary>
/// One platform of a run: its plan (keys of that platform), the chain builder and stage sources on it, and the build and
/// prove verbs over them. <see cref="ImagePipeline"/> makes one per platform it is asked for, each when first needed.
/// </summary>
public sealed class PlatformRun(Platform platform, BuildPlan plan, ChainBuilder builder, StageSources sources, BuildCommand build, ProveCommand prove)
{
    public Platform Platform => platform;
    public BuildPlan Plan => plan;
    public StageSources Sources => sources;
    public BuildCommand Build => build;
    public ProveCommand Prove => prove;
    internal ChainBuilder Builder => builder;
    /// <summary>Where a changed core finds its previous version as layer cache (null with --no-cache).</summary>
    public CacheSources? Cache { get; init; }
}
