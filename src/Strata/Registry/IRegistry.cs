using Strata.Oci;

namespace Strata.Registry;

/// <summary>
/// The few registry calls the pipeline makes (<see cref="RegistryClient"/> is the real one; tests give a fake).
/// Images are named in full, in this registry (<see cref="RegistryLocation.Reference"/>): a manifest by the
/// reference's tag or digest, a blob by its repository and digest.
/// </summary>
public interface IRegistry : IDisposable
{
    RegistryLocation Location { get; }

    /// <summary>The image <paramref name="image"/> names (by tag or digest), or null when the registry says 404. Changes nothing.</summary>
    Task<RemoteImage?> FindAsync(ImageReference image, CancellationToken ct = default);

    /// <summary>Points <paramref name="target"/>'s tag at the manifest <paramref name="source"/> (a tag or digest of the same repository) names; nothing uploaded again.</summary>
    Task TagAsync(ImageReference source, ImageReference target, CancellationToken ct = default);

    /// <summary>The manifest <paramref name="manifest"/> names (by tag or digest), as stored, or null when the registry says 404. Changes nothing.</summary>
    Task<RegistryManifest?> FindManifestAsync(ImageReference manifest, CancellationToken ct = default);

    /// <summary>Stores a manifest (an image, an index, an artefact) under <paramref name="target"/>'s tag or digest; returns its digest.</summary>
    Task<Digest> PushManifestAsync(ImageReference target, string mediaType, byte[] body, CancellationToken ct = default);

    /// <summary>Uploads a blob to <paramref name="repository"/> unless the registry has it; returns its digest.</summary>
    Task<Digest> PushBlobAsync(ImageReference repository, byte[] content, CancellationToken ct = default);

    /// <summary>Whether <paramref name="repository"/> has the blob <paramref name="digest"/>. Changes nothing.</summary>
    Task<bool> HasBlobAsync(ImageReference repository, Digest digest, CancellationToken ct = default);

    /// <summary>
    /// Uploads the blob <paramref name="digest"/> (<paramref name="size"/> bytes, read from <paramref name="open"/>, opened anew per
    /// attempt) to <paramref name="repository"/> unless the registry has it; true when it uploaded.
    /// </summary>
    Task<bool> PushBlobAsync(ImageReference repository, Digest digest, long size, Func<Stream> open, CancellationToken ct = default);

    /// <summary>The blob <paramref name="digest"/> names in <paramref name="repository"/>, or null when the registry says 404. Changes nothing.</summary>
    Task<byte[]?> FindBlobAsync(ImageReference repository, Digest digest, CancellationToken ct = default);

    /// <summary>
    /// The referrers API's index of the manifests whose subject is <paramref name="subject"/> (pinned by digest), or null when the
    /// registry has no referrers API (a 404: distribution 2.8, GHCR); then the referrers tag schema applies. Changes nothing.
    /// </summary>
    Task<RegistryManifest?> FindReferrersAsync(ImageReference subject, CancellationToken ct = default);
}
