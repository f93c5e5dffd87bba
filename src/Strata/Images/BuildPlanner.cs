using Strata.Graph;
using Strata.Keys;
using Strata.Oci;
using Strata.Tools;

namespace Strata.Images;

public sealed record PlanOptions
{
    public HostCaMode HostCa { get; init; } = HostCaMode.Auto;
    public string HostCaDirectory { get; init; } = Images.HostCa.DefaultDirectory;
    /// <summary>tools.yaml: which pinned tools each image installs (null: none).</summary>
    public ToolSet? Tools { get; init; }
    /// <summary>tools.lock.json: the pinned versions and sha256s.</summary>
    public ToolLock Lock { get; init; } = ToolLock.Empty;
    /// <summary>Build without the GitHub-released binaries (no GitHub and no mirror here). Such images get other keys.</summary>
    public bool SkipBinaryTools { get; init; }
    /// <summary>The image repository tags are made in; null: strata.yaml's (a registry run puts its host in front).</summary>
    public string? Repository { get; init; }
    /// <summary>The platform the images are planned for: part of every key, with only its architecture's entries of the lock.</summary>
    public Platform Platform { get; init; } = Platform.Host;
    /// <summary>The engine's own platform: its images get the plain local moving tag (<c>repo:image</c>), others <c>repo:image-ARCH</c>.</summary>
    public Platform Native { get; init; } = Platform.Host;
    /// <summary>The vault built from this repository into every thin layer (null: none; issue 28).</summary>
    public VaultProgram? Vault { get; init; }

    /// <summary>Whether the images hold this tool (with --skip-tools, the GitHub-released binaries are left out).</summary>
    public bool Installs(ToolSpec tool) => !(SkipBinaryTools && tool is BinaryTool);
}

/// <summary>Computes every image's stages and content keys. Reads files only; never calls the engine.</summary>
public static class BuildPlanner
{
    /// <summary>Build argument naming the image a stage builds FROM (derived from the parent's key, so not hashed again).</summary>
    public const string ParentImageArg = "PARENT_IMAGE";

    /// <summary>Build argument set right before the dotfiles are copied: their content hash, the precise cache-bust.</summary>
    public const string DotfilesHashArg = "DOTFILES_HASH";

    /// <summary>The context folder pinned binaries are placed in (always present, maybe empty).</summary>
    public const string ToolsContextDirectory = ".strata/tools";

    public static BuildPlan Plan(ImageGraph graph, PlanOptions? options = null)
    {
        options ??= new PlanOptions();
        var hostCaFiles = HostCa.Find(options.HostCa, options.HostCaDirectory)
            .Select(path => new InputFile($"{HostCa.ContextDirectory}/{Path.GetFileName(path)}", path, false, null))
            .ToList();

        // Each file is read once per run, however many keys include it.
        var digests = new FileDigests();
        var dotfiles = graph.Dotfiles is { } d ? InputSet.Collect(graph.RootDirectory, d.Inputs, graph.Exclude) : null;
        if (dotfiles is not null) digests.Prefetch(dotfiles);
        var dotfilesHash = dotfiles is null ? null : HashFiles(dotfiles, digests);

        var repository = ImageReference.Parse(options.Repository ?? graph.Repository);
        var plans = new Dictionary<string, ImagePlan>();
        var thinTools = new Dictionary<string, IReadOnlyList<ToolSpec>>(); // the binaries each thin layer copies
        var platform = options.Platform;
        foreach (var image in graph.ImagesFor(platform))
        {
            var parentCore = image.Parent is null ? null : plans[image.Parent].Core;
            var files = InputSet.Collect(graph.RootDirectory, [image.Layer.Dockerfile, .. image.Layer.Inputs], graph.Exclude).ToList();
            if (image.HostCa) files.AddRange(hostCaFiles);
            var tools = options.Tools?.ForImage(image.Name).OrderBy(t => t.Name, StringComparer.Ordinal).ToList() ?? [];
            var binaries = tools.OfType<BinaryTool>().Where(options.Installs).ToList();
            var args = new SortedDictionary<string, string>(image.Layer.Args.ToDictionary(), StringComparer.Ordinal);

            // With a dotfiles layer, pinned binaries are not part of the chain children build on: each thin layer
            // copies those of the image and its ancestors, so a tool bump rebuilds no core and re-runs no
            // package install anywhere; it changes the published keys of the images that carry the tool.
            var lineageTools = (image.Parent is null ? [] : thinTools[image.Parent])
                .Concat(graph.Dotfiles is null ? [] : tools.OfType<BinaryTool>()).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
            thinTools[image.Name] = lineageTools;
            var coreTools = graph.Dotfiles is null ? tools : tools.Where(t => t is not BinaryTool).ToList();

            using var key = new KeyBuilder()
                .Add("stage", "core")
                .Add("platform", platform.ToString())
                .Add("dockerfile", image.Layer.Dockerfile)
                .AddFiles("input", files, digests)
                .AddMap("arg", image.Layer.Args);
            foreach (var tool in coreTools)
                if (AddTool(key, options, tool, image.Name, platform) is { } version) args[VersionArg(tool)] = version;
            key.Add("parent", parentCore?.Key ?? "base-os:" + DescribeBaseOs(graph.BaseOs));
            // The devcontainer.metadata label goes on the published stage: on the thin layer when there is
            // one, so editing it (a label, no file) rebuilds only the thin layers and never a core.
            var devcontainer = DevcontainerMetadata.For(graph, image.Name);
            var devcontainerLabels = devcontainer.IsEmpty
                ? new Dictionary<string, string>()
                : new Dictionary<string, string> { [DevcontainerMetadata.Label] = devcontainer.ToLabel(image.Name) };
            if (graph.Dotfiles is null) key.AddMap("label", devcontainerLabels);
            var coreKey = key.Finish();
            // Always present (maybe empty), so a Dockerfile can COPY them whatever is configured.
            List<string> emptyDirs = [ToolsContextDirectory];
            if (image.HostCa) emptyDirs.Add(HostCa.ContextDirectory);
            // Without a dotfiles layer the core is what is published, and is tagged as such.
            var coreTag = graph.Dotfiles is null ? $"{image.Name}-{coreKey[..12]}" : $"{image.Name}-core-{coreKey[..12]}";
            var core = new Stage(image.Name, StageKind.Core, platform, coreKey, parentCore?.Key, image.Layer.Dockerfile,
                files, emptyDirs, args, repository.WithTag(coreTag))
            {
                Tools = graph.Dotfiles is null ? binaries : [],
                Labels = graph.Dotfiles is null ? devcontainerLabels : new Dictionary<string, string>(),
            };

            Stage? thin = null;
            if (graph.Dotfiles is { } layer)
            {
                var layerDockerfile = InputSet.Collect(graph.RootDirectory, [layer.Dockerfile], graph.Exclude);
                var layerFiles = layerDockerfile.Concat(dotfiles!).ToList();
                // The dotfiles enter every published key as their one hash (paths, modes, links, digests).
                using var pkey = new KeyBuilder()
                    .Add("stage", "published")
                    .Add("dockerfile", layer.Dockerfile)
                    .AddFiles("input", layerDockerfile, digests)
                    .Add("dotfiles", dotfilesHash!)
                    .AddMap("arg", layer.Args)
                    .AddMap("label", devcontainerLabels)
                    .Add("parent", coreKey);
                foreach (var tool in lineageTools) AddTool(pkey, options, tool, image.Name, platform);
                if (options.Vault is { } vault) pkey.Add("vault", vault.Key);   // (issue 28: its sources and compiler)
                var publishedKey = pkey.Finish();
                var layerArgs = new SortedDictionary<string, string>(layer.Args.ToDictionary(), StringComparer.Ordinal)
                {
                    [DotfilesHashArg] = dotfilesHash!,
                };
                thin = new Stage(image.Name, StageKind.Published, platform, publishedKey, coreKey, layer.Dockerfile,
                    layerFiles, [ToolsContextDirectory, VaultProgram.ContextDirectory], layerArgs, repository.WithTag($"{image.Name}-{publishedKey[..12]}"))
                {
                    Vault = options.Vault,
                    Labels = devcontainerLabels,
                    Tools = lineageTools.OfType<BinaryTool>().Where(options.Installs).ToList(),
                };
            }

            // The engine holds one image per tag: the native platform's gets the plain moving tag, another's its architecture too.
            var movingTag = platform == options.Native ? image.Name : $"{image.Name}-{platform.Architecture}";
            plans[image.Name] = new ImagePlan(image, core, thin, repository.WithTag(movingTag));
        }
        return new BuildPlan(graph, graph.ImagesFor(platform).Select(i => plans[i.Name]).ToList(), options.Lock) { Platform = platform };
    }

    /// <summary>
    /// Adds a tool's locked version and this platform's asset to a key (or that it is left out); returns the version, null
    /// when left out. Only this platform's download: a bump that changes another architecture's sha256 alone keeps the key.
    /// </summary>
    private static string? AddTool(KeyBuilder key, PlanOptions options, ToolSpec tool, string image, Platform platform)
    {
        if (!options.Installs(tool))
        {
            key.Add("tool." + tool.Name, "skipped");
            return null;
        }
        var locked = Locked(options, tool, image);
        key.Add("tool." + tool.Name, $"{locked.Version} {locked.Tag}");
        key.Add($"tool.{tool.Name}.{platform.Architecture}",
            locked.Assets.TryGetValue(platform.Architecture, out var asset) ? $"{asset.Url} {asset.Sha256}" : "absent");
        return locked.Version;
    }

    /// <summary>The build argument carrying a tool's locked version: gemini-cli gives GEMINI_CLI_VERSION.</summary>
    public static string VersionArg(ToolSpec tool) => tool.Name.ToUpperInvariant().Replace('-', '_') + "_VERSION";

    private static LockedTool Locked(PlanOptions options, ToolSpec tool, string image) =>
        options.Lock.Tools.TryGetValue(tool.Name, out var locked)
            ? locked
            : throw new StrataConfigException(
                $"{ToolLock.DefaultFileName} has no entry for '{tool.Name}', which image '{image}' installs. " +
                "Pin it: ./build.sh --target=pin" + (tool is BinaryTool
                    ? " (needs the GitHub API). Without GitHub access, build with --skip-tools to leave the GitHub-released binaries out."
                    : " (needs the GitHub API)."));

    /// <summary>The base OS as committed (pinned image and fallback recipe): part of the root image's key.</summary>
    public static string DescribeBaseOs(BaseOsSpec os) =>
        $"{os.Image} debootstrap:{os.Debootstrap.Suite}/{os.Debootstrap.Variant}/{os.Debootstrap.Mirror}";

    private static string HashFiles(IReadOnlyList<InputFile> files, FileDigests digests)
    {
        using var key = new KeyBuilder().AddFiles("file", files, digests);
        return key.Finish();
    }
}
