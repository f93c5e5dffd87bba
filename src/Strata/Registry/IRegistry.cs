namespace Strata.Registry;

/// <summary>The few registry calls the pipeline makes (<see cref="RegistryClient"/> is the real one; tests give a fake).</summary>
public interface IRegistry : IDisposable
{
    RegistryLocation Location { get; }

    /// <summary>The image under <paramref name="tag"/>, or null when the registry says 404. Changes nothing.</summary>
    Task<RemoteImage?> FindAsync(string repository, string tag, CancellationToken ct = default);

    /// <summary>Points <paramref name="newTag"/> at the manifest <paramref name="sourceReference"/> (a tag or digest) names; nothing uploaded again.</summary>
    Task TagAsync(string repository, string sourceReference, string newTag, CancellationToken ct = default);

    /// <summary>The manifest a tag or digest names, as stored, or null when the registry says 404. Changes nothing.</summary>
    Task<RegistryManifest?> FindManifestAsync(string repository, string reference, CancellationToken ct = default);

    /// <summary>Stores a manifest (an image, an index, an artefact) under a tag or its digest; returns its digest.</summary>
    Task<string> PushManifestAsync(string repository, string reference, string mediaType, byte[] body, CancellationToken ct = default);

    /// <summary>Uploads a blob unless the registry has it; returns its digest.</summary>
    Task<string> PushBlobAsync(string repository, byte[] content, CancellationToken ct = default);

    /// <summary>The blob of <paramref name="digest"/>, or null when the registry says 404. Changes nothing.</summary>
    Task<byte[]?> FindBlobAsync(string repository, string digest, CancellationToken ct = default);

    /// <summary>
    /// The referrers API's index of the manifests whose subject is <paramref name="digest"/>, or null when the
    /// registry has no referrers API (a 404: distribution 2.8, GHCR); then the referrers tag schema applies. Changes nothing.
    /// </summary>
    Task<RegistryManifest?> FindReferrersAsync(string repository, string digest, CancellationToken ct = default);
}
