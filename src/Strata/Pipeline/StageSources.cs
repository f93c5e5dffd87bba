using Strata.Engine;
using Strata.Images;
using Strata.Registry;
using Strata.Reporting;

namespace Strata.Pipeline;

/// <summary>
/// Where each stage of the plan comes from, in this order: the engine (its key tag, carrying the
/// full key), the registry (its key tag there, carrying the full key), a build. Pulls only what a
/// step needs here (a parent core to build on, an image to smoke-test or to tag locally), by
/// digest. Without a registry, every stage is local or built, as on a single machine.
/// </summary>
internal sealed class StageSources(BuildPlan plan, ChainBuilder builder, DockerCli docker, RegistryClient? registry,
    RegistryCredentials? credentials, string repository, Action<string> log)
{
    private readonly Dictionary<string, RemoteImage?> _remote = [];
    private readonly Dictionary<string, StageSource> _sources = [];
    private readonly Dictionary<string, long> _pulled = [];
    private readonly Dictionary<string, long> _pushed = [];

    public bool HasRegistry => registry is not null;

    /// <summary>What happened to the stage in this run so far; null when nothing asked for it.</summary>
    public StageSource? SourceOf(Stage stage) => _sources.TryGetValue(stage.KeyTag, out var s) ? s : null;

    public long BytesPulled(ImagePlan image) => image.Stages.Sum(s => _pulled.GetValueOrDefault(s.KeyTag));
    public long BytesPushed(ImagePlan image) => image.Stages.Sum(s => _pushed.GetValueOrDefault(s.KeyTag));

    /// <summary>
    /// Whether the engine has the stage. With a registry, the stage's image built earlier without one
    /// (under the plain repository name, same full key) counts too: it is tagged with the registry name.
    /// </summary>
    public async Task<bool> IsLocalAsync(Stage stage, CancellationToken ct)
    {
        if (await builder.ExistsAsync(plan, stage, ct)) return true;
        if (registry is null) return false;
        var plain = $"{repository}:{TagOf(stage.KeyTag)}";
        if (!_checkedPlain.Add(plain)) return false;
        var found = (await docker.InspectImagesAsync([plain], ct)).SingleOrDefault();
        if (found is null || found.Labels.GetValueOrDefault(ChainBuilder.KeyLabel) != stage.Key) return false;
        await builder.AdoptAsync(plan, stage, plain, ct);
        return true;
    }

    private readonly HashSet<string> _checkedPlain = [];

    /// <summary>
    /// The stage in the registry under its key tag with the same full key; null when there is no
    /// registry or it answered 404. A tag whose full key differs is not reused (and never overwritten).
    /// </summary>
    public async Task<RemoteImage?> RemoteAsync(Stage stage, CancellationToken ct)
    {
        if (registry is null) return null;
        if (_remote.TryGetValue(stage.KeyTag, out var known)) return known;
        var found = await registry.FindAsync(repository, TagOf(stage.KeyTag), ct);
        if (found is not null && (!found.Labels.TryGetValue(ChainBuilder.KeyLabel, out var key) || key != stage.Key))
        {
            log($"==> {stage.ImageName}: {found.Name}:{found.Tag} in the registry carries key {key ?? "(none)"}, not {stage.Key}: not reused");
            found = null;
            _conflicts.Add(stage.KeyTag);
        }
        return _remote[stage.KeyTag] = found;
    }

    private readonly HashSet<string> _conflicts = [];

    /// <summary>Where the stage would come from, asking but changing nothing (for plans).</summary>
    public async Task<StageSource> LocateAsync(Stage stage, CancellationToken ct) =>
        await IsLocalAsync(stage, ct) ? StageSource.Local
        : await RemoteAsync(stage, ct) is not null ? StageSource.Registry
        : StageSource.Built;

    /// <summary>Whether the stage exists here or in the registry (nothing to build, nothing pulled).</summary>
    public async Task<bool> IsAvailableAsync(Stage stage, CancellationToken ct)
    {
        var source = await LocateAsync(stage, ct);
        if (source != StageSource.Built) _sources.TryAdd(stage.KeyTag, source);
        return source != StageSource.Built;
    }

    /// <summary>
    /// Makes the stage's image exist in the engine: already there, pulled from the registry, or built
    /// (on its parent's core, pulled when only the registry has it).
    /// </summary>
    public async Task EnsureLocalAsync(ImagePlan image, StageKind kind, CancellationToken ct)
    {
        var stage = kind == StageKind.Core ? image.Core : image.Published;
        if (await IsLocalAsync(stage, ct))
        {
            _sources.TryAdd(stage.KeyTag, StageSource.Local);
            return;
        }
        if (await RemoteAsync(stage, ct) is { } remote)
        {
            await PullAsync(image, stage, remote, ct);
            return;
        }
        // Build: the builder builds the image's missing stages on its parent's core, which must be
        // here (the targets build ancestors first); from the registry, it is pulled first.
        if (image.Spec.Parent is { } parent && plan.Get(parent) is var p && !await IsLocalAsync(p.Core, ct))
        {
            if (await RemoteAsync(p.Core, ct) is { } parentCore) await PullAsync(p, p.Core, parentCore, ct);
            else await builder.BuildImageAsync(plan, parent, ct); // its published image is here, its core was removed
        }
        if (kind == StageKind.Published && !ReferenceEquals(image.Core, image.Published) &&
            !await IsLocalAsync(image.Core, ct) && await RemoteAsync(image.Core, ct) is { } core)
            await PullAsync(image, image.Core, core, ct);
        var before = new Dictionary<Stage, bool>();
        foreach (var s in image.Stages) before[s] = await IsLocalAsync(s, ct);
        await builder.BuildImageAsync(plan, image.Name, ct);
        foreach (var s in image.Stages) _sources.TryAdd(s.KeyTag, before[s] ? StageSource.Local : StageSource.Built);
    }

    private async Task PullAsync(ImagePlan image, Stage stage, RemoteImage remote, CancellationToken ct)
    {
        var reference = $"{remote.Name}@{remote.Digest}";
        log($"==> {image.Name}: pulling {stage.KeyTag} ({SummaryTable.FormatSize(remote.Size)}) by digest {remote.Digest[..19]}...");
        await docker.PullAsync(reference, credentials, ct);
        await builder.AdoptAsync(plan, stage, reference, ct);
        _sources[stage.KeyTag] = StageSource.Registry;
        _pulled[stage.KeyTag] = await NewLayerBytesAsync(image, stage, remote, ct);
    }

    /// <summary>
    /// Pushes the stage's key tag unless the registry has it already (a re-run after a crash pushes
    /// what is missing and nothing else). The caller pushes only proven images.
    /// </summary>
    public async Task PushAsync(ImagePlan image, Stage stage, CancellationToken ct)
    {
        if (registry is null) throw new InvalidOperationException("pushing needs a registry (--registry).");
        if (_conflicts.Contains(stage.KeyTag))
            throw new RegistryException(
                $"{stage.KeyTag} exists in {registry.Location} with another full key; refusing to overwrite it. " +
                "Remove that tag from the registry if it is stale.");
        if (await RemoteAsync(stage, ct) is not null) return;
        log($"==> {image.Name}: pushing {stage.KeyTag}");
        await docker.PushAsync(stage.KeyTag, credentials, line => log($"[{image.Name}] {line}"), ct);
        _remote.Remove(stage.KeyTag);
        var pushed = await RemoteAsync(stage, ct)
            ?? throw new RegistryException($"{stage.KeyTag} was pushed but {registry.Location} does not show it with key {stage.Key}.");
        _pushed[stage.KeyTag] = await NewLayerBytesAsync(image, stage, pushed, ct);
    }

    /// <summary>The stage's layers that its base (the parent's core, or its own core) does not share: what moved over the wire.</summary>
    private async Task<long> NewLayerBytesAsync(ImagePlan image, Stage stage, RemoteImage remote, CancellationToken ct)
    {
        var below = stage.Kind == StageKind.Published && !ReferenceEquals(image.Core, image.Published) ? image.Core
            : image.Spec.Parent is { } parent ? plan.Get(parent).Core : null;
        var shared = below is not null && await RemoteAsync(below, ct) is { } b ? b.Layers.Select(l => l.Digest).ToHashSet() : [];
        return remote.Layers.Where(l => !shared.Contains(l.Digest)).Sum(l => l.Size);
    }

    /// <summary>Points a tag in the registry at the stage's manifest (moving tags; no upload).</summary>
    public async Task TagRemoteAsync(Stage stage, string tag, CancellationToken ct)
    {
        var remote = await RemoteAsync(stage, ct) ?? throw new RegistryException($"{stage.KeyTag} is not in the registry: push it first.");
        await registry!.TagAsync(repository, remote.Digest, tag, ct);
    }

    /// <summary>Whether the registry holds <paramref name="tag"/> (any content).</summary>
    public async Task<RemoteImage?> FindTagAsync(string tag, CancellationToken ct) =>
        registry is null ? null : await registry.FindAsync(repository, tag, ct);

    public static string TagOf(string reference) => reference[(reference.LastIndexOf(':') + 1)..];
}
