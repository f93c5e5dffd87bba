using Strata.Graph;
using Strata.Keys;

namespace Strata.Images;

public sealed record PlanOptions
{
    public HostCaMode HostCa { get; init; } = HostCaMode.Auto;
    public string HostCaDirectory { get; init; } = Images.HostCa.DefaultDirectory;
}

/// <summary>Computes every image's stages and content keys. Reads files only; never calls the engine.</summary>
public static class BuildPlanner
{
    /// <summary>Build argument naming the image a stage builds FROM (derived from the parent's key, so not hashed again).</summary>
    public const string ParentImageArg = "PARENT_IMAGE";

    /// <summary>Build argument set right before the dotfiles are copied: their content hash, the precise cache-bust.</summary>
    public const string DotfilesHashArg = "DOTFILES_HASH";

    public static BuildPlan Plan(ImageGraph graph, PlanOptions? options = null)
    {
        options ??= new PlanOptions();
        var hostCaFiles = HostCa.Find(options.HostCa, options.HostCaDirectory)
            .Select(path => new InputFile($"{HostCa.ContextDirectory}/{Path.GetFileName(path)}", path, false, null))
            .ToList();

        var dotfiles = graph.Dotfiles is { } d ? InputSet.Collect(graph.RootDirectory, d.Inputs, graph.Exclude) : null;
        var dotfilesHash = dotfiles is null ? null : HashFiles(dotfiles);

        var plans = new Dictionary<string, ImagePlan>();
        foreach (var image in graph.Images)
        {
            var parentCore = image.Parent is null ? null : plans[image.Parent].Core;
            var files = InputSet.Collect(graph.RootDirectory, [image.Layer.Dockerfile, .. image.Layer.Inputs], graph.Exclude).ToList();
            if (image.HostCa) files.AddRange(hostCaFiles);

            using var key = new KeyBuilder()
                .Add("stage", "core")
                .Add("dockerfile", image.Layer.Dockerfile)
                .AddFiles("input", files)
                .AddMap("arg", image.Layer.Args)
                .Add("parent", parentCore?.Key ?? "base-os:" + DescribeBaseOs(graph.BaseOs));
            var coreKey = key.Finish();
            var core = new Stage(image.Name, StageKind.Core, coreKey, parentCore?.Key, image.Layer.Dockerfile,
                files, image.HostCa ? [HostCa.ContextDirectory] : [], image.Layer.Args,
                $"{graph.Repository}:{image.Name}-core-{coreKey[..12]}");

            var published = core;
            if (graph.Dotfiles is { } layer)
            {
                var layerFiles = InputSet.Collect(graph.RootDirectory, [layer.Dockerfile], graph.Exclude).Concat(dotfiles!).ToList();
                using var pkey = new KeyBuilder()
                    .Add("stage", "published")
                    .Add("dockerfile", layer.Dockerfile)
                    .AddFiles("input", layerFiles)
                    .AddMap("arg", layer.Args)
                    .Add("parent", coreKey);
                var publishedKey = pkey.Finish();
                var args = new SortedDictionary<string, string>(layer.Args.ToDictionary(), StringComparer.Ordinal)
                {
                    [DotfilesHashArg] = dotfilesHash!,
                };
                published = new Stage(image.Name, StageKind.Published, publishedKey, coreKey, layer.Dockerfile,
                    layerFiles, [], args, $"{graph.Repository}:{image.Name}-{publishedKey[..12]}");
            }
            else
            {
                published = core with { KeyTag = $"{graph.Repository}:{image.Name}-{coreKey[..12]}" };
                core = published;
            }

            plans[image.Name] = new ImagePlan(image, core, published, $"{graph.Repository}:{image.Name}");
        }
        return new BuildPlan(graph, graph.Images.Select(i => plans[i.Name]).ToList());
    }

    /// <summary>The base OS as committed (pinned image and fallback recipe): part of the root image's key.</summary>
    public static string DescribeBaseOs(BaseOsSpec os) =>
        $"{os.Image} debootstrap:{os.Debootstrap.Suite}/{os.Debootstrap.Variant}/{os.Debootstrap.Mirror}";

    private static string HashFiles(IReadOnlyList<InputFile> files)
    {
        using var key = new KeyBuilder().AddFiles("file", files);
        return key.Finish();
    }
}
