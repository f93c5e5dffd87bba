using Strata.Engine;
using Strata.Images;
using Strata.Oci;
using Strata.Registry;
using Strata.Reporting;

namespace Strata.Pipeline;

/// <summary>
/// Where each stage of the plan comes from, in this order: the engine (its key tag, carrying the
/// full key), the registry (its key tag there, carrying the full key), a build. The questions
/// (<see cref="FindLocalAsync"/>, <see cref="FindRemoteAsync"/>, <see cref="LocateAsync"/>,
/// <see cref="FindTagAsync"/>) change nothing, in the engine or the registry; the steps that do
/// say so (<see cref="EnsureLocalAsync"/>, <see cref="PushAsync"/>, <see cref="TagRemoteAsync"/>).
/// Pulls only what a step needs here, by digest. Without a registry every stage is local or built.
/// </summary>
public sealed class StageSources(BuildPlan plan, ChainBuilder builder, IImageStore images, IRegistry? registry,
    RegistryLogin login, ImageRepository repository, Action<string> log)
{
    private readonly Dictionary<ImageReference, RemoteImage?> _remote = [];

    /// <summary>The repository in the registry, with <paramref name="tag"/>: what the registry is asked by.</summary>
    private ImageReference Remote(string tag) => registry!.Location.Reference(repository).WithTag(tag);
    private readonly HashSet<ImageReference> _conflicts = [];
    private readonly Dictionary<ImageReference, StageSource> _sources = [];
    private readonly Dictionary<ImageReference, long> _pulled = [];
    private readonly Dictionary<ImageReference, long> _pushed = [];

    /// <summary>Pushes with bytes of Strata's own (--reproducible, issue 31); null: the engine pushes.</summary>
    public Reproducible.ImageUpload? Upload { get; init; }

    /// <summary>Where the stage's image came from in this run so far; null when nothing made it exist yet.</summary>
    public StageSource? SourceOf(Stage stage) => _sources.TryGetValue(stage.KeyTag, out var s) ? s : null;

    public long BytesPulled(ImagePlan image) => image.Stages.Sum(s => _pulled.GetValueOrDefault(s.KeyTag));
    public long BytesPushed(ImagePlan image) => image.Stages.Sum(s => _pushed.GetValueOrDefault(s.KeyTag));

    /// <summary>
    /// The stage's image in the engine: under its key tag, or (with a registry) under the plain repository
    /// name an earlier run without the registry gave it, with the same full key. Null when it is not here.
    /// </summary>
    public async Task<ImageReference?> FindLocalAsync(Stage stage, CancellationToken ct)
    {
        if (await builder.ExistsAsync(plan, stage, ct)) return stage.KeyTag;
        if (registry is null) return null;
        var plain = repository.Reference.WithTag(stage.KeyTag.Tag!);
        var found = (await images.InspectImagesAsync([plain], ct)).SingleOrDefault();
        return found is not null && found.Labels.GetValueOrDefault(ChainBuilder.KeyLabel) == stage.Key ? plain : null;
    }

    /// <summary>
    /// The stage in the registry under its key tag with the same full key; null when there is no
    /// registry or it answered 404. A tag whose full key differs is not reused (and never overwritten).
    /// </summary>
    public async Task<RemoteImage?> FindRemoteAsync(Stage stage, CancellationToken ct)
    {
        if (registry is null) return null;
        if (_remote.TryGetValue(stage.KeyTag, out var known)) return known;
        var found = await registry.FindAsync(Remote(stage.KeyTag.Tag!), ct);
        if (found is not null && (!found.Labels.TryGetValue(ChainBuilder.KeyLabel, out var key) || key != stage.Key))
        {
            log($"==> {stage.ImageName}: {found.Name} in the registry carries key {key ?? "(none)"}, not {stage.Key}: not reused");
            found = null;
            _conflicts.Add(stage.KeyTag);
        }
        return _remote[stage.KeyTag] = found;
    }

    /// <summary>Where the stage would come from: here, the registry, or a build.</summary>
    public async Task<StageSource> LocateAsync(Stage stage, CancellationToken ct) =>
        await FindLocalAsync(stage, ct) is not null ? StageSource.Local
        : await FindRemoteAsync(stage, ct) is not null ? StageSource.Registry
        : StageSource.Built;

    /// <summary>Where the stage came from in this run, or where it is when this run did not need it here.</summary>
    public async Task<StageSource> ReportedSourceAsync(Stage stage, CancellationToken ct) => SourceOf(stage) ?? await LocateAsync(stage, ct);

    /// <summary>
    /// Makes the stage's image exist in the engine under its key tag: already there, tagged from its plain
    /// name, pulled from the registry, or built (on its parent's core, pulled when only the registry has it).
    /// </summary>
    public async Task EnsureLocalAsync(ImagePlan image, Stage stage, CancellationToken ct)
    {
        if (await AdoptLocalAsync(stage, ct)) return;
        if (await FindRemoteAsync(stage, ct) is { } remote)
        {
            await PullAsync(image, stage, remote, ct);
            return;
        }
        // Build: the builder builds the image's missing stages on its parent's core, which must be
        // here (the targets build ancestors first); from the registry, it is pulled first.
        if (image.Spec.Parent is { } parent && plan.Get(parent) is var p && !await AdoptLocalAsync(p.Core, ct))
        {
            if (await FindRemoteAsync(p.Core, ct) is { } parentCore) await PullAsync(p, p.Core, parentCore, ct);
            else await builder.BuildImageAsync(plan, parent, ct); // its published image is here, its core was removed
        }
        if (stage == image.ThinLayer && !await AdoptLocalAsync(image.Core, ct) && await FindRemoteAsync(image.Core, ct) is { } core)
            await PullAsync(image, image.Core, core, ct);
        var before = new Dictionary<Stage, bool>();
        foreach (var s in image.Stages) before[s] = await builder.ExistsAsync(plan, s, ct);
        await builder.BuildImageAsync(plan, image.Name, ct);
        foreach (var s in image.Stages) _sources.TryAdd(s.KeyTag, before[s] ? StageSource.Local : StageSource.Built);
    }

    /// <summary>True when the stage is here; an image found under its plain name is tagged with the key tag (a change).</summary>
    private async Task<bool> AdoptLocalAsync(Stage stage, CancellationToken ct)
    {
        if (await FindLocalAsync(stage, ct) is not { } found) return false;
        if (found != stage.KeyTag) await builder.AdoptAsync(plan, stage, found, ct);
        _sources.TryAdd(stage.KeyTag, StageSource.Local);
        return true;
    }

    private async Task PullAsync(ImagePlan image, Stage stage, RemoteImage remote, CancellationToken ct)
    {
        var reference = remote.Pinned;
        log($"==> {image.Name}: pulling {stage.KeyTag} ({SummaryTable.FormatSize(remote.Size)}) by digest {remote.Digest.Short}");
        await images.PullAsync(reference, await login.GetAsync(ct), ct);
        await builder.AdoptAsync(plan, stage, reference, ct);
        _sources[stage.KeyTag] = StageSource.Registry;
        _pulled[stage.KeyTag] = await NewLayerBytesAsync(image, stage, remote, ct);
    }

    /// <summary>
    /// Pushes the stage's key tag unless the registry has it already (a re-run after a crash pushes
    /// what is missing and nothing else), through the engine or, with <see cref="Upload"/>, with Strata's
    /// own bytes. The caller pushes only proven images.
    /// </summary>
    public async Task PushAsync(ImagePlan image, Stage stage, CancellationToken ct)
    {
        if (registry is null) throw new InvalidOperationException("pushing needs a registry (--registry).");
        if (_conflicts.Contains(stage.KeyTag))
            throw new RegistryException(
                $"{stage.KeyTag} exists in {registry.Location} with another full key; refusing to overwrite it. " +
                "Remove that tag from the registry if it is stale.");
        if (await FindRemoteAsync(stage, ct) is not null) return;
        if (!await AdoptLocalAsync(stage, ct))
            throw new InvalidOperationException($"{stage.KeyTag} is neither in {registry.Location} nor in the engine: build it before pushing.");
        log($"==> {image.Name}: pushing {stage.KeyTag}");
        if (Upload is { } upload) await upload.PushAsync(stage.KeyTag, Remote(stage.KeyTag.Tag!), ct);
        else await images.PushAsync(stage.KeyTag, await login.GetAsync(ct), line => log($"[{image.Name}] {line}"), ct);
        _remote.Remove(stage.KeyTag);
        var pushed = await FindRemoteAsync(stage, ct)
            ?? throw new RegistryException($"{stage.KeyTag} was pushed but {registry.Location} does not show it with key {stage.Key}.");
        _pushed[stage.KeyTag] = await NewLayerBytesAsync(image, stage, pushed, ct);
    }

    /// <summary>The stage's layers that its base (the parent's core, or its own core) does not share: what moved over the wire.</summary>
    private async Task<long> NewLayerBytesAsync(ImagePlan image, Stage stage, RemoteImage remote, CancellationToken ct)
    {
        var below = stage == image.ThinLayer ? image.Core : image.Spec.Parent is { } parent ? plan.Get(parent).Core : null;
        var shared = below is not null && await FindRemoteAsync(below, ct) is { } b ? b.Layers.Select(l => l.Digest).ToHashSet() : [];
        return remote.Layers.Where(l => !shared.Contains(l.Digest)).Sum(l => l.Size);
    }

    /// <summary>Points a tag in the registry at the stage's manifest (moving tags, proof tags; no upload).</summary>
    public async Task TagRemoteAsync(Stage stage, string tag, CancellationToken ct)
    {
        var remote = await FindRemoteAsync(stage, ct) ?? throw new RegistryException($"{stage.KeyTag} is not in the registry: push it first.");
        await registry!.TagAsync(remote.Pinned, Remote(tag), ct);
    }

    /// <summary>What the registry holds under <paramref name="tag"/> (any content); null without a registry or on 404.</summary>
    public async Task<RemoteImage?> FindTagAsync(string tag, CancellationToken ct) =>
        registry is null ? null : await registry.FindAsync(Remote(tag), ct);
}
