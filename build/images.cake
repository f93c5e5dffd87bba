// One task per image of strata.yaml, each depending on its parent's task: --target=k8s builds
// base then k8s; --exclusive builds just the target on its parent's existing image. Building
// moves no moving tag: only a smoke-tested image gets one (build/smoke.cake).
using Strata.Images;
using Strata.Reporting;

var reservedTasks = new[] { "Default", "images", "plan", "pin", "smoke", "test", "prune" };
if (strata.Graph.Images.FirstOrDefault(i => i.Name.StartsWith("smoke-")) is { } clash)
    throw new Exception($"{strata.Graph.ConfigPath}: image '{clash.Name}' clashes with the smoke-<image> targets; rename it.");
var imageTasks = new Dictionary<string, CakeTaskBuilder>();
foreach (var image in strata.Graph.Images)
{
    if (reservedTasks.Contains(image.Name, StringComparer.OrdinalIgnoreCase))
        throw new Exception($"{strata.Graph.ConfigPath}: image '{image.Name}' has the name of a built-in target ({string.Join(", ", reservedTasks)}); rename it.");
    var name = image.Name;
    var task = Task(name)
        .Description(image.Parent is null ? $"Build {name}" : $"Build {name} on {image.Parent}")
        .Does(async () =>
        {
            // The moving tag moves in smoke-<image>, once the image is proven.
            strata.Results.Add(await strata.Builder.BuildImageAsync(strata.Plan, name));
        });
    if (image.Parent is not null) task.IsDependentOn(image.Parent);
    imageTasks[name] = task;
}

// The thin dotfiles layers of the images this run builds start together (they need only their core).
Setup(context => strata.Builder.StartThinLayersAsync(strata.Graph, () => strata.Plan, context.TasksToExecute.Select(t => t.Name)).GetAwaiter().GetResult());

// Every image without children: depending on them builds the whole graph.
var images = Task("images").Description("Build every image of strata.yaml");
foreach (var leaf in strata.Graph.Images.Where(i => !strata.Graph.Images.Any(c => c.Parent == i.Name)))
    images.IsDependentOn(leaf.Name);

Task("Default").Description("Build the whole chain, smoke-test it, move the tags").IsDependentOn("images").IsDependentOn("smoke");

Teardown(context =>
{
    if (strata.Results.Count > 0)
    {
        Console.WriteLine();
        Console.Write(SummaryTable.ForBuild(strata.Results));
        var report = System.IO.Path.Combine(strata.ArtifactsDirectory, "build-report.json");
        ReportFiles.WriteBuildReport(report, strata.Results);
        PlanHistory.For(cacheDirectory, strata.Graph.Repository).Record(strata.Plan); // what prune keeps
        Console.WriteLine($"Report: {report}");
    }
    if (strata.SmokeResults.Count > 0)
    {
        Console.WriteLine();
        Console.Write(Strata.Smoke.SmokeReport.Summary(strata.SmokeResults));
    }
});
