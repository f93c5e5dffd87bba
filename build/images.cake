// One target per image of strata.yaml, depending on its parent's: --target=k8s builds base then
// k8s; --exclusive builds just the target on its parent's existing image. Building moves no
// moving tag: only a proven image gets one (smoke.cake).
using Strata.Pipeline;

// The targets this run executes (known in Setup, which a dry run runs too: so nothing starts there).
IReadOnlyList<string> tasksToRun = Array.Empty<string>();
Setup(context => tasksToRun = context.TasksToExecute.Select(t => t.Name).ToList());

foreach (var image in graph?.Images ?? [])
{
    var name = image.Name;
    var task = Task(name)
        .Description(image.Parent is null ? $"Build {name}" : $"Build {name} on {image.Parent}")
        .Does(async () =>
        {
            // The thin dotfiles layers of this run's images start together (each needs only its core).
            await strata.StartThinLayersAsync(tasksToRun, stopping);
            await strata.BuildAsync(name, stopping); // for each platform of --platform (default: the engine's)
        });
    if (image.Parent is not null) task.IsDependentOn(image.Parent);
}

// Depending on every image without children builds the whole graph.
var images = Task(Targets.Images).Description("Build every image of strata.yaml").Does(() => strata.RequireConfig());
foreach (var leaf in graph is null ? [] : Targets.Leaves(graph)) images.IsDependentOn(leaf.Name);

Task(Targets.Default).Description("Build the whole chain, smoke-test it, move the tags")
    .IsDependentOn(Targets.Images).IsDependentOn(Targets.Smoke);
