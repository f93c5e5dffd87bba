using Strata.Registry;

namespace Strata.Tests.Support.Fakes;

/// <summary>An in-memory registry of one repository: tags pointing at manifests with labels.</summary>
public sealed class FakeRegistry(RegistryLocation location) : IRegistry
{
    private readonly Dictionary<string, string> _tags = [];                                // tag -> digest
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _labels = []; // digest -> labels

    public RegistryLocation Location => location;

    /// <summary>Every tag and the digest it points at, sorted: the registry's whole state.</summary>
    public IReadOnlyList<string> Tags => _tags.Select(t => $"{t.Key} {t.Value}").Order(StringComparer.Ordinal).ToList();

    public bool Has(string tag) => _tags.ContainsKey(tag);

    /// <summary>An image pushed by the engine: its tag, its (stand-in) image manifest and the labels of its config.</summary>
    public void Put(string tag, string digest, IReadOnlyDictionary<string, string> labels)
    {
        _tags[tag] = digest;
        _labels[digest] = labels;
        _manifests[tag] = _manifests[digest] = new RegistryManifest(
            System.Text.Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"config\":\"{digest}\"}}"), DockerManifest, digest);
    }

    private const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    /// <summary>The platforms' image digests the index under <paramref name="tag"/> lists; null when the tag is not an index.</summary>
    public IReadOnlyList<Strata.Oci.PlatformManifest>? IndexOf(string tag) =>
        _manifests.TryGetValue(tag, out var m) && m.MediaType == Strata.Oci.ImageIndex.MediaType ? Strata.Oci.ImageIndex.Read(m.Body) : null;

    /// <summary>How many manifests were written through the API (indexes), counting rewrites of the same bytes.</summary>
    public int ManifestWrites { get; private set; }

    public RemoteImage? ByDigest(string digest) =>
        _labels.TryGetValue(digest, out var labels) ? new RemoteImage(location.Host, digest, digest, labels, []) : null;

    public Task<RemoteImage?> FindAsync(string repository, string tag, CancellationToken ct = default) =>
        Task.FromResult(_tags.TryGetValue(tag, out var digest)
            ? new RemoteImage(location.ImageName(repository), tag, digest, _labels.GetValueOrDefault(digest) ?? new Dictionary<string, string>(),
                [new RemoteLayer(digest, 10)])
            : null);

    public Task TagAsync(string repository, string sourceReference, string newTag, CancellationToken ct = default)
    {
        _tags[newTag] = _tags.GetValueOrDefault(sourceReference, sourceReference);
        if (_manifests.GetValueOrDefault(sourceReference) is { } manifest) _manifests[newTag] = manifest;
        return Task.CompletedTask;
    }

    private readonly Dictionary<string, RegistryManifest> _manifests = []; // tag or digest -> manifest
    private readonly HashSet<string> _blobs = [];

    public Task<RegistryManifest?> FindManifestAsync(string repository, string reference, CancellationToken ct = default) =>
        Task.FromResult(_manifests.GetValueOrDefault(reference));

    public Task<string> PushManifestAsync(string repository, string reference, string mediaType, byte[] body, CancellationToken ct = default)
    {
        ManifestWrites++;
        var manifest = new RegistryManifest(body, mediaType, Digest(body));
        _manifests[manifest.Digest] = manifest;
        _manifests[reference] = manifest;
        if (!reference.StartsWith("sha256:", StringComparison.Ordinal)) _tags[reference] = manifest.Digest;
        return Task.FromResult(manifest.Digest);
    }

    public Task<string> PushBlobAsync(string repository, byte[] content, CancellationToken ct = default)
    {
        var digest = Digest(content);
        _blobs.Add(digest);
        return Task.FromResult(digest);
    }

    private static string Digest(byte[] body) => "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body));

    public void Dispose()
    {
    }
}
