using Strata.Graph;
using Strata.Keys;
using Strata.Oci;
using Strata.Packages;
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
    /// <summary>packages.lock.json: the Debian packages each image installs, per platform, by version and sha256.</summary>
    public PackageLock Packages { get; init; } = PackageLock.Empty;
    /// <summary>--apt-snapshot: locked installs read the snapshot of the lock's resolution time from this archive (other keys: the sources are in the image).</summary>
    public Uri? AptSnapshot { get; init; }
    /// <summary>Build without the GitHub-released binaries (no GitHub and no mirror here). Such images get other keys.</summary>
    public bool SkipBinaryTools { get; init; }
    /// <summary>The image repository tags are made in; null: strata.yaml's (a registry run puts its host in front).</summary>
    public ImageReference? Repository { get; init; }
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

        var repository = options.Repository ?? graph.Repository.Reference;
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
            // The image's part of the package lock, as the files its install steps read: the key covers their bytes.
            var (aptFiles, aptDirectories) = AptFiles(graph, image, options, platform);

            // With a dotfiles layer, pinned binaries are not part of the chain children build on: each thin layer
            // copies those of the image and its ancestors, so a tool bump rebuilds no core and re-runs no
            // package install anywhere; it changes the published keys of the images that carry the tool.
            var lineageTools = (image.Parent is null ? [] : thinTools[image.Parent])
                .Concat(graph.Dotfiles is null ? [] : tools.OfType<BinaryTool>()).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
            thinTools[image.Name] = lineageTools;
            var coreTools = graph.Dotfiles is null ? tools : tools.Where(t => t is not BinaryTool).ToList();
            // An npm tool's whole dependency tree, locked with integrity hashes, goes into the context it is installed from.
            foreach (var npm in coreTools.OfType<NpmTool>().Where(options.Installs))
                files.AddRange(NpmLockFiles(graph, npm, Locked(options, npm, image.Name).Version, image.Name));

            using var key = new KeyBuilder(components: true) // named components: why a key moved (BuildReason)
                .Add("stage", "core")
                .Add("platform", platform.ToString())
                .Add("dockerfile", image.Layer.Dockerfile)
                .AddFiles("input", files, digests)
                .AddMap("arg", image.Layer.Args)
                .AddGenerated("packages", aptFiles);
            foreach (var tool in coreTools)
                if (AddTool(key, options, tool, image.Name, platform) is { } version) args[VersionArg(tool)] = version;
            key.Add("parent", parentCore?.Key ?? "base-os:" + graph.BaseOs.Describe());
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
            emptyDirs.AddRange(aptDirectories);
            // Without a dotfiles layer the core is what is published, and is tagged as such.
            var coreTag = graph.Dotfiles is null ? KeyTag.Published(image.Name, coreKey) : KeyTag.Core(image.Name, coreKey);
            var core = new Stage(image.Name, StageKind.Core, platform, coreKey, parentCore?.Key, image.Layer.Dockerfile,
                files, emptyDirs, args, repository.WithTag(coreTag))
            {
                Tools = graph.Dotfiles is null ? binaries : [],
                Labels = graph.Dotfiles is null ? devcontainerLabels : new Dictionary<string, string>(),
                Generated = aptFiles,
                Components = key.Components,
            };

            Stage? thin = null;
            if (graph.Dotfiles is { } layer)
            {
                var layerDockerfile = InputSet.Collect(graph.RootDirectory, [layer.Dockerfile], graph.Exclude);
                var layerFiles = layerDockerfile.Concat(dotfiles!).ToList();
                // The dotfiles enter every published key as their one hash (paths, modes, links, digests).
                using var pkey = new KeyBuilder(components: true)
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
                    layerFiles, [ToolsContextDirectory, VaultProgram.ContextDirectory], layerArgs, repository.WithTag(KeyTag.Published(image.Name, publishedKey)))
                {
                    Vault = options.Vault,
                    Labels = devcontainerLabels,
                    Tools = lineageTools.OfType<BinaryTool>().Where(options.Installs).ToList(),
                    Components = pkey.Components,
                };
            }

            // The engine holds one image per tag: the native platform's gets the plain moving tag, another's its architecture too.
            var movingTag = platform == options.Native ? image.Name : $"{image.Name}-{platform.Architecture}";
            plans[image.Name] = new ImagePlan(image, core, thin, repository.WithTag(movingTag));
        }
        return new BuildPlan(graph, graph.ImagesFor(platform).Select(i => plans[i.Name]).ToList(), options.Lock) { Platform = platform, Packages = options.Packages };
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

    /// <summary>
    /// The lock's files for an image whose Dockerfile runs apt-get install (none for one that does not). Every package the
    /// Dockerfile names must be locked for this platform: a Dockerfile edited since the last pin fails here, before any build.
    /// </summary>
    private static (IReadOnlyList<GeneratedFile>, IReadOnlyList<string>) AptFiles(ImageGraph graph, ImageSpec image, PlanOptions options, Platform platform)
    {
        var packages = options.Packages;
        var dockerfile = image.Layer.Dockerfile;
        if (AptInstall.Read(File.ReadAllText(Path.Combine(graph.RootDirectory, dockerfile)), dockerfile) is not { } install) return ([], []);
        var locked = packages.For(platform, image.Name)
            ?? throw new StrataConfigException(
                $"{PackageLock.DefaultFileName} has no packages of image '{image.Name}' for {platform}, which {dockerfile} installs " +
                $"({string.Join(" ", install.Packages)}). Lock them: ./build.sh --target=pin (add --skip-tools without GitHub access).");
        if (!locked.Requested.SequenceEqual(install.Packages))
            throw new StrataConfigException(
                $"{dockerfile} installs {string.Join(" ", install.Packages)}, but {PackageLock.DefaultFileName} was resolved for " +
                $"{string.Join(" ", locked.Requested)} (image '{image.Name}', {platform}): the Dockerfile changed since the last pin. " +
                "Run ./build.sh --target=pin (add --skip-tools without GitHub access) and commit the lock.");
        var sources = options.AptSnapshot is { } snapshot
            ? AptContext.Snapshot(graph.AptSources, snapshot, packages.Platforms[platform].Resolved)
            : graph.AptSources;
        return AptContext.For(sources, locked.Packages);
    }

    private static IEnumerable<InputFile> NpmLockFiles(ImageGraph graph, NpmTool tool, string version, string image)
    {
        var (manifest, lockFile) = NpmLock.Require(graph.RootDirectory, tool, version, image);
        foreach (var file in new[] { manifest, lockFile })
            yield return new InputFile($"{NpmLock.ContextFolder(tool.Name)}/{Path.GetFileName(file)}", Path.Combine(graph.RootDirectory, file), false, null);
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

    private static string HashFiles(IReadOnlyList<InputFile> files, FileDigests digests)
    {
        using var key = new KeyBuilder().AddFiles("file", files, digests);
        return key.Finish();
    }
}
