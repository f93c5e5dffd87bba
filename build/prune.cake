// prune: remove the images Strata made for this repository that neither the current plan nor the
// last --keep=N plans (default 2) use; --dry-run lists them and the space they would free.
using Strata.Images;

Task("prune")
    .Description("Remove this repository's images no recent plan uses (--keep=N, default 2; --dry-run)")
    .Does(async () =>
    {
        var result = await new ImagePruner(strata.Docker, StrataRun.Log).PruneAsync(strata.Plan,
            PlanHistory.For(cacheDirectory, strata.Graph.Repository), Argument("keep", 2), HasArgument("dry-run"));
        Console.Write(result.Summary());
    });
