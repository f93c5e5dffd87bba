using System.Collections.Concurrent;
using System.Diagnostics;
using Strata.Downloads;
using Strata.Engine;
using Strata.Graph;
using Strata.Oci;
using Strata.Packages;
using Strata.Tools;
using Strata.BaseOs;

namespace Strata.Images;

public sealed record BuildOptions
{
    /// <summary>Network for RUN steps: null for the engine's default, "host" behind VPNs with MTU black holes.</summary>
    public string? Network { get; init; }
    /// <summary>The commit recorded in the OCI revision label (never part of a key).</summary>
    public string? Revision { get; init; }
    /// <summary>Where pinned binaries are downloaded to and verified (null: a build that needs one fails).</summary>
    public AssetCache? Assets { get; init; }
    /// <summary>Where facts about images (immutable by key) are remembered between runs; null: nowhere.</summary>
    public string? CacheDirectory { get; init; }
    /// <summary>Build every step again, ignoring the builder's cache (images whose key exists are still reused).</summary>
    public bool NoCache { get; init; }
    /// <summary>Where a core that must be built finds its previous version as layer cache; null: nowhere (and not with <see cref="NoCache"/>).</summary>
    public ICacheSources? CacheSources { get; init; }
    /// <summary>Normalises every stage built before it is used, tagged further or pushed (issue 31); null: images as the builder made them.</summary>
    public Reproducible.ImageNormaliser? Normaliser { get; init; }
}

/// <summary>
/// Builds the stages of a plan on the engine, reusing every stage whose key already exists, and
/// moves the local moving tags. The mechanism under the pipeline's gates: it builds and tags
/// without asking for proofs, so only the pipeline calls it.
/// </summary>
public sealed class ChainBuilder(IImageStore images, IImageBuilder builds, BaseOsProvider baseOs, BuildOptions options, Action<string> log)
{
    public const string KeyLabel = "dev.strata.key";
    public const string ParentKeyLabel = "dev.strata.parent-key";
    public const string ImageLabel = "dev.strata.image";
    public const string StageLabel = "dev.strata.stage";

    // What exists locally, by key tag and by moving tag; filled by one inspect call, then kept current.
    private ConcurrentDictionary<ImageReference, ImageInfo>? _local;
    // Thin layers started ahead of their image's turn (see StartThinLayersAsync), by key tag.
    private readonly ConcurrentDictionary<ImageReference, Task> _started = new();
    // What each stage built in this run used, by key tag.
    private readonly ConcurrentDictionary<ImageReference, StageBuild> _builds = new();

    /// <summary>Looks up every stage of the plan with one engine call.</summary>
    public async Task<IReadOnlyDictionary<ImageReference, ImageInfo>> LocalImagesAsync(BuildPlan plan, CancellationToken ct = default) =>
        await LocalAsync(plan, ct);

    private async Task<ConcurrentDictionary<ImageReference, ImageInfo>> LocalAsync(BuildPlan plan, CancellationToken ct)
    {
        if (_local is not null) return _local;
        var refs = plan.Images.SelectMany(i => i.Stages.Select(s => s.KeyTag).Append(i.MovingTag)).ToHashSet();
        var found = await images.InspectImagesAsync(refs.Select(r => (ImageLocator)r), ct);
        _local = new ConcurrentDictionary<ImageReference, ImageInfo>();
        foreach (var image in found)
            foreach (var tag in image.RepoTags.Where(refs.Contains))
                _local[tag] = image;
        return _local;
    }

    /// <summary>What the stage's build in this run used (cache source, cached steps); null when this run did not build it.</summary>
    public StageBuild? BuildOf(Stage stage) => _builds.GetValueOrDefault(stage.KeyTag);

    /// <summary>Whether a stage's image exists: its key tag is there and carries the same full key.</summary>
    public async Task<bool> ExistsAsync(BuildPlan plan, Stage stage, CancellationToken ct = default)
    {
        // A thin layer started ahead is not there until BuildImageAsync collects it (and reports it built).
        if (_started.ContainsKey(stage.KeyTag)) return false;
        var local = await LocalImagesAsync(plan, ct);
        return local.TryGetValue(stage.KeyTag, out var image) &&
               image.Labels.TryGetValue(KeyLabel, out var key) && key == stage.Key;
    }

    /// <summary>
    /// Makes a pulled image the stage's local image: tags <paramref name="pulledReference"/> (name@digest)
    /// with the stage's key tag, after checking that it carries the stage's full key.
    /// </summary>
    public async Task AdoptAsync(BuildPlan plan, Stage stage, ImageReference pulledReference, CancellationToken ct = default)
    {
        var local = await LocalAsync(plan, ct);
        var info = (await images.InspectImagesAsync([pulledReference], ct)).SingleOrDefault()
            ?? throw new EngineException($"{pulledReference} is not in the engine after pulling it.");
        if (!info.Labels.TryGetValue(KeyLabel, out var key) || key != stage.Key)
            throw new EngineException($"{pulledReference} carries key {(key ?? "none")}, not {stage.Key}: it is not {stage.KeyTag}; refusing to tag it.");
        await images.TagAsync(pulledReference, stage.KeyTag, ct);
        local[stage.KeyTag] = info;
    }

    /// <summary>
    /// Builds one image (core, then published) on its parent's existing core image. Ancestors are
    /// the caller's business (the script's task dependencies); a missing parent is a clear error.
    /// </summary>
    /// <returns>Whether a stage was built (false: every stage existed).</returns>
    public async Task<bool> BuildImageAsync(BuildPlan plan, string name, CancellationToken ct = default)
    {
        var image = plan.Get(name);
        var clock = Stopwatch.StartNew();
        var built = false;
        ImageReference? parentRef = null;

        if (image.Spec.Parent is { } parentName)
        {
            var parent = plan.Get(parentName).Core;
            if (!await ExistsAsync(plan, parent, ct))
                throw new EngineException(
                    $"{name} builds on {parentName} (key {parent.ShortKey}), which does not exist locally. " +
                    $"Build it first (./build.sh --target={parentName}), or drop --exclusive to build the whole chain.");
            parentRef = parent.KeyTag;
        }

        foreach (var stage in image.Stages)
        {
            if (_started.TryRemove(stage.KeyTag, out var running))
            {
                await running;
                built = true;
                continue;
            }
            if (await ExistsAsync(plan, stage, ct)) continue;
            var from = stage == image.ThinLayer
                ? image.Core.KeyTag
                : parentRef ?? await baseOs.EnsureAsync(plan.Graph.BaseOs, plan.Platform, ct);
            await BuildStageAsync(plan, image, stage, from, ct);
            built = true;
        }

        log(built
            ? $"==> {name}: built {image.Published.KeyTag} in {clock.Elapsed.TotalSeconds:0.0} s"
            : $"==> {name}: reused {image.Published.KeyTag}");
        return built;
    }

    /// <summary>
    /// Starts at once the thin (published) layers of <paramref name="names"/> whose core exists and
    /// whose own image does not: each depends on its core only, so after a dotfile edit they build
    /// side by side; <see cref="BuildImageAsync"/> then waits for its own. Names that are not images are ignored.
    /// </summary>
    /// <param name="plan">Asked only when one of the names is an image (other targets need no plan).</param>
    public async Task StartThinLayersAsync(ImageGraph graph, Func<BuildPlan> plan, IEnumerable<string> names, CancellationToken ct = default)
    {
        var wanted = names.Where(n => graph.Images.Any(i => i.Name == n)).ToList();
        if (wanted.Count > 0) await StartThinLayersAsync(plan(), wanted, ct);
    }

    private async Task StartThinLayersAsync(BuildPlan plan, IReadOnlyList<string> names, CancellationToken ct)
    {
        foreach (var image in plan.Images.Where(i => names.Contains(i.Name) && i.HasThinLayer))
        {
            if (_started.ContainsKey(image.Published.KeyTag) || !await ExistsAsync(plan, image.Core, ct) ||
                await ExistsAsync(plan, image.Published, ct))
                continue;
            // Which client builds is asked once (process starts), meanwhile rather than inside the first build.
            _ = builds.ResolveBuilderAsync(ct);
            _started[image.Published.KeyTag] = Task.Run(() => BuildStageAsync(plan, image, image.Published, image.Core.KeyTag, ct), ct);
        }
    }

    /// <summary>Points the moving tag (repo:image) at the image's published stage, if it does not already.</summary>
    public async Task PromoteAsync(BuildPlan plan, string name, CancellationToken ct = default)
    {
        var image = plan.Get(name);
        var local = await LocalAsync(plan, ct);
        var target = local[image.Published.KeyTag];
        if (local.TryGetValue(image.MovingTag, out var current) && current.Id == target.Id) return;
        await images.TagAsync(image.Published.KeyTag, image.MovingTag, ct);
        local[image.MovingTag] = target;
        log($"==> {name}: {image.MovingTag} -> {image.Published.KeyTag}");
    }

    private async Task BuildStageAsync(BuildPlan plan, ImagePlan image, Stage stage, ImageReference from, CancellationToken ct)
    {
        var what = stage.Kind == StageKind.Core ? "core" : "dotfiles layer";
        log($"==> {image.Name}: building {what} (key {stage.ShortKey}) on {from}");
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["org.opencontainers.image.title"] = image.MovingTag.ToString(),
            [KeyLabel] = stage.Key,
            [ParentKeyLabel] = stage.ParentKey ?? "",
            [ImageLabel] = image.Name,
            [StageLabel] = stage.Kind.ToString().ToLowerInvariant(),
        };
        foreach (var (k, v) in stage.Labels) labels[k] = v;
        if (plan.Graph.Source is { } source) labels["org.opencontainers.image.source"] = source;
        if (options.Revision is { } revision) labels["org.opencontainers.image.revision"] = revision;

        var args = new SortedDictionary<string, string>(stage.BuildArgs.ToDictionary(), StringComparer.Ordinal)
        {
            [BuildPlanner.ParentImageArg] = from.ToString(),
        };
        var staging = stage.Tools.Count > 0 || stage.Generated.Count > 0 || stage.Kind == StageKind.Published
            ? Directory.CreateTempSubdirectory("strata-stage-").FullName
            : null;
        try
        {
            var tools = (await PlaceToolsAsync(plan, stage, staging, ct)).ToList();
            if (stage.Vault is { } vault)   // (issue 28) the vault program, published for the stage's platform
                tools.Add(new Keys.InputFile($"{VaultProgram.ContextDirectory}/vault",
                    await vault.PublishAsync(stage.Platform, cacheDirectory: null, log, ct), Executable: true, LinkTarget: null));
            IReadOnlyList<Keys.InputFile> files = stage.Files.Concat(tools).Concat(WriteGenerated(stage, staging)).ToList();
            IReadOnlyList<ContextDirectory> directories = stage.EmptyDirectories.Select(d => new ContextDirectory(d, (UnixFileMode)0b111_101_101)).ToList();
            if (stage.Kind == StageKind.Published && plan.Graph.Dotfiles is { } layer)
            {
                // The thin layer's context: the prepared home, and the pinned binaries of the image's lineage.
                var home = await DotfilesHome.ContextAsync(images, stage, layer.Inputs, from, staging!, options.CacheDirectory, ct);
                (files, directories) = ([.. home.Files, .. tools], [.. home.Directories, .. directories]);
            }
            // A core carries BuildKit's inline cache, so its next version can build with it as cache anywhere.
            var cache = stage.Kind == StageKind.Core && !options.NoCache && options.CacheSources is { } sources
                ? await sources.PrepareAsync(image, stage, ct)
                : null;
            if (cache is not null) log($"==> {image.Name}: layer cache from the previous version {cache.Image} (key {cache.ShortKey})");
            var request = new BuildRequest(stage.Dockerfile, args, labels, [stage.KeyTag], options.Network)
            {
                NoCache = options.NoCache,
                Platform = stage.Platform,
                InlineCache = stage.Kind == StageKind.Core,
                CacheFrom = cache is null ? [] : [cache.Image],
            };
            var aptErrors = new List<string>();
            BuiltImage built;
            try
            {
                built = await builds.BuildAsync(
                    request,
                    (stdin, token) => ContextTar.WriteAsync(stdin, files, directories, token),
                    // Both builders already say "step n/m" (classic: "Step 3/7 :", BuildKit: "#7 [3/7]").
                    line =>
                    {
                        if (stage.Generated.Count > 0 && LockedInstallFailure.IsAptError(line)) lock (aptErrors) aptErrors.Add(line);
                        log($"[{image.Name}] {line}");
                    },
                    ct);
            }
            catch (EngineException e) when (LockedInstallFailure.Explain(image.Name, stage.Platform, stage.Generated, aptErrors) is { } explained)
            {
                throw new EngineException(explained + "\n" + e.Message);
            }

            if (cache is not null) log($"==> {image.Name}: {built.CachedSteps} steps served by the layer cache");
            _builds[stage.KeyTag] = new StageBuild(cache, built.CachedSteps);
            await CheckPlatformAsync(image, stage, built.Id, ct);
            ImageLocator id = options.Normaliser is { } normaliser ? ImageId.Parse((await normaliser.NormaliseAsync(stage.KeyTag, ct)).Id) : built.Id;
            var info = (await images.InspectImagesAsync([id], ct)).Single();
            _local![stage.KeyTag] = info;
        }
        finally
        {
            if (staging is not null) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// A built image must be of the stage's platform. The classic builder of engine 20.10 ignores --platform and builds for its base
    /// image's; BuildKit honours it. A mismatch removes the tag just made (its key would lie) and names the fix.
    /// </summary>
    private async Task CheckPlatformAsync(ImagePlan image, Stage stage, ImageId id, CancellationToken ct)
    {
        var built = await images.PlatformOfAsync(id, ct);
        if (built == stage.Platform) return;
        await images.RemoveImageAsync(stage.KeyTag, force: false, ct);
        var builder = await builds.ResolveBuilderAsync(ct);
        throw new EngineException(
            $"{image.Name}: asked for {stage.Platform}, the {builder.Name} built {built?.ToString() ?? "an image of no platform"}. " +
            (builder.BuildKit
                ? "The base image is of another platform: check the base OS image (docker image inspect) or remove it so it is made again."
                : "The classic builder ignores --platform (it builds for its base image's platform): build with BuildKit (--builder=buildkit; " +
                  "on Docker 20.10 its own client /usr/bin/docker drives it, elsewhere the buildx plugin)."));
    }

    /// <summary>Writes the stage's generated files (the package lock's apt files) into the staging folder, for the context.</summary>
    private static IEnumerable<Keys.InputFile> WriteGenerated(Stage stage, string? staging)
    {
        foreach (var file in stage.Generated)
        {
            var path = Path.Combine(staging!, "generated", file.ContextPath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, file.Content);
            yield return new Keys.InputFile(file.ContextPath, path, file.Executable, LinkTarget: null);
        }
    }

    /// <summary>Fetches (or finds in the cache) every pinned binary of the stage, verified, for the context.</summary>
    private async Task<IEnumerable<Keys.InputFile>> PlaceToolsAsync(BuildPlan plan, Stage stage, string? staging, CancellationToken ct)
    {
        if (stage.Tools.Count == 0) return [];
        var assets = options.Assets ?? throw new InvalidOperationException("BuildOptions.Assets is required to build images with pinned tools.");
        var placed = new List<Keys.InputFile>();
        foreach (var tool in stage.Tools)
        {
            var destination = Path.Combine(Directory.CreateDirectory(Path.Combine(staging!, "tools")).FullName, tool.Name);
            await ToolInstaller.PlaceAsync(tool, plan.Lock, stage.Platform.Architecture, assets, destination, ct);
            placed.Add(new Keys.InputFile($"{BuildPlanner.ToolsContextDirectory}/{tool.Name}", destination, Executable: true, LinkTarget: null));
        }
        return placed;
    }
}
