using Strata.Oci;
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

    private static string ManifestOf(ImageReference image) => image.Digest ?? image.Tag!;

    /// <summary>An image pushed by the engine: its tag, its (stand-in) image manifest and the labels of its config.</summary>
    public void Put(string tag, string digest, IReadOnlyDictionary<string, string> labels)
    {
        _tags[tag] = digest;
        _labels[digest] = labels;
        _manifests[tag] = _manifests[digest] = new RegistryManifest(
            System.Text.Encoding.UTF8.GetBytes($"{{\"schemaVersion\":2,\"config\":\"{digest}\"}}"), DockerManifest, Digest.Parse(digest));
    }

    private const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

    /// <summary>The platforms' image digests the index under <paramref name="tag"/> lists; null when the tag is not an index.</summary>
    public IReadOnlyList<Strata.Oci.PlatformManifest>? IndexOf(string tag) =>
        _manifests.TryGetValue(tag, out var m) && m.MediaType == Strata.Oci.ImageIndex.MediaType ? Strata.Oci.ImageIndex.Read(m.Body) : null;

    /// <summary>How many manifests were written through the API (indexes), counting rewrites of the same bytes.</summary>
    public int ManifestWrites { get; private set; }

    public RemoteImage? ByDigest(string digest) =>
        _labels.TryGetValue(digest, out var labels) ? new RemoteImage(this.At(null, digest), Digest.Parse(digest), labels, []) : null;

    /// <summary>The platform an index is read for (as <see cref="RegistryClient"/> reads it for the engine's).</summary>
    public Strata.Oci.Platform Platform { get; set; } = Strata.Oci.Platform.LinuxAmd64;

    /// <summary>As the real client: a tag or a digest; an index is read for <see cref="Platform"/> (its digest, that entry's labels).</summary>
    public Task<RemoteImage?> FindAsync(ImageReference reference, CancellationToken ct = default)
    {
        var tag = ManifestOf(reference);
        if (!_tags.TryGetValue(tag, out var digest) && !_labels.ContainsKey(digest = tag)) return Task.FromResult<RemoteImage?>(null);
        var image = IndexOf(tag)?.FirstOrDefault(m => m.Platform == Platform)?.Digest.Value ?? digest;
        return Task.FromResult<RemoteImage?>(new RemoteImage(reference, Digest.Parse(digest),
            _labels.GetValueOrDefault(image) ?? new Dictionary<string, string>(), [new RemoteLayer(image, 10)]));
    }

    public Task TagAsync(ImageReference source, ImageReference target, CancellationToken ct = default)
    {
        var (sourceReference, newTag) = (ManifestOf(source), target.Tag!);
        _tags[newTag] = _tags.GetValueOrDefault(sourceReference, sourceReference);
        if (_manifests.GetValueOrDefault(sourceReference) is { } manifest) _manifests[newTag] = manifest;
        return Task.CompletedTask;
    }

    private readonly Dictionary<string, RegistryManifest> _manifests = []; // tag or digest -> manifest
    private readonly Dictionary<string, byte[]> _blobs = []; // digest -> content

    /// <summary>A pushed manifest, or for an image a stand-in image manifest under its digest.</summary>
    public Task<RegistryManifest?> FindManifestAsync(ImageReference manifest, CancellationToken ct = default) => FindManifest(ManifestOf(manifest));

    private Task<RegistryManifest?> FindManifest(string reference) =>
        Task.FromResult(_manifests.GetValueOrDefault(reference) ?? (_tags.GetValueOrDefault(reference, reference) is var digest && _labels.ContainsKey(digest)
            ? new RegistryManifest("{\"schemaVersion\":2}"u8.ToArray(), "application/vnd.oci.image.manifest.v1+json", Digest.Parse(digest))
            : null));

    /// <summary>Every manifest pushed through the API (artefacts, indexes), by digest.</summary>
    public IReadOnlyList<string> PushedManifests => _manifests.Keys.Where(k => k.StartsWith("sha256:", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Deletes a manifest by digest (as DELETE /v2/NAME/manifests/DIGEST would).</summary>
    public void DeleteManifest(Digest digest)
    {
        foreach (var key in _manifests.Where(m => m.Value.Digest == digest).Select(m => m.Key).ToList()) _manifests.Remove(key);
    }

    public Task<Digest> PushManifestAsync(ImageReference target, string mediaType, byte[] body, CancellationToken ct = default)
    {
        var reference = ManifestOf(target);
        ManifestWrites++;
        var manifest = new RegistryManifest(body, mediaType, Digest.Of(body));
        _manifests[manifest.Digest.Value] = manifest;
        _manifests[reference] = manifest;
        if (!reference.StartsWith("sha256:", StringComparison.Ordinal)) _tags[reference] = manifest.Digest.Value;
        return Task.FromResult(manifest.Digest);
    }

    public Task<Digest> PushBlobAsync(ImageReference repository, byte[] content, CancellationToken ct = default)
    {
        var digest = Digest.Of(content);
        _blobs[digest.Value] = content;
        return Task.FromResult(digest);
    }

    public Task<bool> HasBlobAsync(ImageReference repository, Digest digest, CancellationToken ct = default) =>
        Task.FromResult(_blobs.ContainsKey(digest.ToString()));

    public async Task<bool> PushBlobAsync(ImageReference repository, Digest digest, long size, Func<Stream> open, CancellationToken ct = default)
    {
        if (_blobs.ContainsKey(digest.ToString())) return false;
        using var content = new MemoryStream();
        await using (var from = open()) await from.CopyToAsync(content, ct);
        if (Digest.Of(content.ToArray()) != digest || content.Length != size)
            throw new RegistryException($"blob {digest}: the bytes uploaded do not match (as a registry answers 400).");
        _blobs[digest.ToString()] = content.ToArray();
        return true;
    }

    public Task<byte[]?> FindBlobAsync(ImageReference repository, Digest digest, CancellationToken ct = default) =>
        Task.FromResult(_blobs.GetValueOrDefault(digest.ToString()));

    /// <summary>Like distribution 2.8 and GHCR: no referrers API, so clients keep the referrers tag schema.</summary>
    public Task<RegistryManifest?> FindReferrersAsync(ImageReference subject, CancellationToken ct = default) =>
        Task.FromResult<RegistryManifest?>(null);

    public void Dispose()
    {
    }
}
