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

    public void Put(string tag, string digest, IReadOnlyDictionary<string, string> labels)
    {
        _tags[tag] = digest;
        _labels[digest] = labels;
    }

    public RemoteImage? ByDigest(string digest) =>
        _labels.TryGetValue(digest, out var labels) ? new RemoteImage(location.Host, digest, digest, labels, []) : null;

    public Task<RemoteImage?> FindAsync(string repository, string tag, CancellationToken ct = default) =>
        Task.FromResult(_tags.TryGetValue(tag, out var digest)
            ? new RemoteImage(location.ImageName(repository), tag, digest, _labels[digest], [new RemoteLayer(digest, 10)])
            : null);

    public Task TagAsync(string repository, string sourceReference, string newTag, CancellationToken ct = default)
    {
        _tags[newTag] = _tags.GetValueOrDefault(sourceReference, sourceReference);
        return Task.CompletedTask;
    }

    public void Dispose()
    {
    }
}
