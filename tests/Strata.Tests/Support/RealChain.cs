using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Tools;

namespace Strata.Tests.Support;

/// <summary>
/// The repository's own chain (strata.yaml, tools.yaml, tools.lock.json), built by its content
/// keys exactly as `./build.sh --skip-tools` builds it: reused when this checkout built it already.
/// GitHub-released binaries are left out: neither GitHub nor a mirror is reachable from the tests.
/// </summary>
public static class RealChain
{
    public static BuildPlan Plan()
    {
        var root = RepositoryRoot.Find();
        return BuildPlanner.Plan(GraphLoader.Load(Path.Combine(root, "strata.yaml")), new PlanOptions
        {
            Tools = ToolsFile.Load(Path.Combine(root, "tools.yaml")),
            Lock = ToolLock.Load(Path.Combine(root, ToolLock.DefaultFileName)),
            SkipBinaryTools = true,
        });
    }

    /// <summary>Builds (or reuses) the image and its ancestors; returns the image's immutable key tag.</summary>
    public static async Task<string> BuildAsync(DockerEngine docker, string image, Action<string> log)
    {
        var plan = Plan();
        var builder = new ChainBuilder(docker, new BuildOptions(), log);
        var tag = "";
        foreach (var step in plan.Lineage(image)) tag = (await builder.BuildImageAsync(plan, step.Name)).Tag;
        return tag;
    }
}
