using Strata.Engine;
using Strata.Oci;
using Strata.Registry;

namespace Strata.Tests.Support.Fakes;

/// <summary>
/// An in-memory engine for fast tests of the pipeline's logic: images are labels and tags in a
/// dictionary, a build makes a new image from its request, a push copies the image into a
/// <see cref="FakeRegistry"/>. No container runs: the smoke tests are faked above it (<see cref="FakeSmokeRunner"/>).
/// </summary>
public sealed class FakeEngine : IEngine, IImageStore, IImageBuilder
{
    private readonly Dictionary<ImageId, ImageInfo> _images = [];
    private readonly Dictionary<string, ImageId> _tags = [];      // reference -> id
    private int _next;

    public FakeEngine(FakeRegistry? registry = null) => Registry = registry;

    public FakeRegistry? Registry { get; }
    public IImageStore Images => this;
    public IContainerRuntime Containers { get; } = new NoContainers();
    public IImageBuilder Builds => this;
    public IImageArchives? Archives => null;
    public List<string> Operations { get; } = [];

    public Task<EngineVersion> VersionAsync(CancellationToken ct = default) => Task.FromResult(new EngineVersion("fake", "1.41", "linux", "amd64"));

    /// <summary>Every tag of the engine, sorted: what `docker images` would show.</summary>
    public IReadOnlyList<string> Tags => _tags.Keys.Order(StringComparer.Ordinal).ToList();

    public ImageId Add(IReadOnlyDictionary<string, string> labels, params string[] tags)
    {
        var id = ImageId.Parse($"sha256:{++_next:x64}");
        _images[id] = new ImageInfo(id, [], labels, 1000);
        foreach (var tag in tags) _tags[Normal(tag)] = id;
        return id;
    }

    /// <summary>An image of another platform than the engine's (amd64), e.g. an imported arm64 base OS.</summary>
    public ImageId Add(Platform platform, IReadOnlyDictionary<string, string> labels, params string[] tags)
    {
        var id = Add(labels, tags);
        _platforms[id] = platform;
        return id;
    }

    public ImageInfo? Find(ImageLocator image) =>
        image.Id is { } byId ? (_images.ContainsKey(byId) ? With(byId) : null)
        : _tags.TryGetValue(Normal(image.ToString()), out var id) ? With(id) : null;

    private ImageInfo With(ImageId id) => _images[id] with { RepoTags = _tags.Where(t => t.Value == id).Select(t => ImageReference.Parse(t.Key)).ToList() };

    private static string Normal(string reference) =>
        ImageReference.TryParse(reference, out var r) && r.Digest is null ? $"{r.Repository}:{r.TagOrLatest}" : reference;

    public Task<IReadOnlyList<ImageInfo>> InspectImagesAsync(IEnumerable<ImageLocator> images, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<ImageInfo>>(images.Select(Find).OfType<ImageInfo>().DistinctBy(i => i.Id).ToList());

    public Task<IReadOnlyList<ImageInfo>> ListImagesAsync(ImageReference? reference = null, IEnumerable<string>? labels = null, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<ImageInfo>>(_images.Keys.Select(With).ToList());

    public Task TagAsync(ImageLocator source, ImageReference target, CancellationToken ct = default)
    {
        Operations.Add($"tag {target}");
        _tags[Normal(target.ToString())] = Find(source)?.Id ?? throw new EngineNotFoundException($"no image {source}");
        return Task.CompletedTask;
    }

    public Task RemoveImageAsync(ImageLocator image, bool force = false, CancellationToken ct = default)
    {
        _tags.Remove(Normal(image.ToString()));
        return Task.CompletedTask;
    }

    public Task PullAsync(ImageReference reference, RegistryCredentials? credentials, CancellationToken ct = default, Action<string>? progress = null)
    {
        Operations.Add($"pull {reference}");
        var remote = Registry?.ByDigest(reference.Digest!) ?? throw new EngineException($"could not pull {reference}: not in the registry");
        var id = Add(remote.Labels);
        _tags[reference.ToString()] = id;
        return Task.CompletedTask;
    }

    public Task PushAsync(ImageReference reference, RegistryCredentials? credentials, Action<string> onOutput, CancellationToken ct = default)
    {
        Operations.Add($"push {reference}");
        var image = Find(reference) ?? throw new EngineException($"push {reference} failed: no such image");
        Registry!.Put(reference.Tag!, "sha256:" + image.Id.Hex, image.Labels);
        return Task.CompletedTask;
    }

    public Task ImportAsync(Func<Stream, CancellationToken, Task> writeTar, ImageReference reference, Platform platform, CancellationToken ct = default) =>
        throw new NotSupportedException();

    private readonly Dictionary<ImageId, Platform> _platforms = []; // by id; absent: the engine's own

    /// <summary>Builds give their image the request's platform, unless the classic builder's habit is imitated: the base image's.</summary>
    public bool IgnorePlatform { get; set; }

    public Task<Platform?> PlatformOfAsync(ImageLocator image, CancellationToken ct = default) =>
        Task.FromResult(Find(image) is { } info ? _platforms.GetValueOrDefault(info.Id, Platform.LinuxAmd64) : null);

    public Task<IReadOnlyList<ImageFile>> ReadFilesAsync(ImageLocator image, IEnumerable<string> paths, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<ImageFile>>([]);

    public Task<IReadOnlyList<ImageFile>> ReadFolderAsync(ImageLocator image, string folder, Func<string, bool> include, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<ImageFile>>([]);

    /// <summary>The layers a build makes, by its first tag's repository-less tag prefix (e.g. "k8s-"): default one layer of the image's size.</summary>
    public Dictionary<string, IReadOnlyList<ImageLayer>> Layers { get; } = [];

    public Task<IReadOnlyList<ImageLayer>> ReadLayersAsync(ImageLocator image, CancellationToken ct = default)
    {
        var info = Find(image) ?? throw new EngineException($"no such image: {image}");
        var tag = info.RepoTags.Select(t => t.TagOrLatest).FirstOrDefault() ?? "";
        var match = Layers.Where(l => tag.StartsWith(l.Key, StringComparison.Ordinal)).Select(l => l.Value).FirstOrDefault();
        return Task.FromResult(match ?? [new ImageLayer("fake", [new LayerEntry("/fake", info.Size, LayerEntryKind.File)])]);
    }

    public Task ExportImageAsync(ImageLocator image, Func<Stream, CancellationToken, Task> read, CancellationToken ct = default) =>
        throw new NotSupportedException();

    public Task<IReadOnlyList<string>?> LayerFoldersAsync(ImageLocator image, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<string>?>(null);

    public BuilderChoice Choice => BuilderChoice.Auto;

    public Task<ResolvedBuilder> ResolveBuilderAsync(CancellationToken ct = default) => Task.FromResult(new ResolvedBuilder("fake", true));

    /// <summary>The requests of every build, in order.</summary>
    public List<BuildRequest> Requests { get; } = [];

    public async Task<BuiltImage> BuildAsync(BuildRequest request, Func<Stream, CancellationToken, Task> writeContext, Action<string> onOutput,
        CancellationToken ct = default)
    {
        Operations.Add($"build {string.Join(",", request.Tags)}");
        Requests.Add(request);
        await writeContext(Stream.Null, ct);
        var id = Add(request.Labels, request.Tags.Select(t => t.ToString()).ToArray());
        var tag = request.Tags.Select(t => t.TagOrLatest).FirstOrDefault() ?? "";
        if (Layers.Where(l => tag.StartsWith(l.Key, StringComparison.Ordinal)).Select(l => l.Value).FirstOrDefault() is { } layers)
            _images[id] = _images[id] with { Size = layers.Sum(l => l.Bytes) };
        if (request.Platform is { } platform && !IgnorePlatform) _platforms[id] = platform;
        return new BuiltImage(id, request.CacheFrom.Count);
    }

    public void Dispose()
    {
    }

    /// <summary>Handed out like the real engine's (the pipeline wires them up front), but the fake engine runs no container.</summary>
    private sealed class NoContainers : IContainerRuntime
    {
        private static NotSupportedException None() => new("the fake engine runs no container");

        public Task<string> StartContainerAsync(string name, ImageLocator image, ContainerOptions options, IReadOnlyList<string> command, CancellationToken ct = default) => throw None();
        public Task<ExecResult> RunContainerAsync(ContainerOptions options, ImageLocator image, IReadOnlyList<string> command, CancellationToken ct = default) => throw None();
        public Task<ExecResult> ExecAsync(string container, string user, IEnumerable<string> command, CancellationToken ct = default,
            IEnumerable<string>? environment = null, Action<string>? onStdOutLine = null) => throw None();
        public Task RemoveContainerAsync(string container, CancellationToken ct = default) => throw None();
        public Task<IReadOnlyList<string>> ListContainersAsync(string label, CancellationToken ct = default) => throw None();
        public Task<bool> ContainerExistsAsync(string nameOrId, CancellationToken ct = default) => throw None();
    }
}
