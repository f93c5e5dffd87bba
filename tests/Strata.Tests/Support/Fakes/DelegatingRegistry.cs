using Strata.Oci;
using Strata.Registry;

namespace Strata.Tests.Support.Fakes;

/// <summary>A registry that passes every call to another: a test overrides the one call it changes (a failure, an API).</summary>
public abstract class DelegatingRegistry(IRegistry inner) : IRegistry
{
    public RegistryLocation Location => inner.Location;
    public virtual Task<RemoteImage?> FindAsync(ImageReference image, CancellationToken ct = default) => inner.FindAsync(image, ct);
    public virtual Task TagAsync(ImageReference source, ImageReference target, CancellationToken ct = default) => inner.TagAsync(source, target, ct);
    public virtual Task<RegistryManifest?> FindManifestAsync(ImageReference manifest, CancellationToken ct = default) => inner.FindManifestAsync(manifest, ct);
    public virtual Task<Digest> PushManifestAsync(ImageReference target, string mediaType, byte[] body, CancellationToken ct = default) =>
        inner.PushManifestAsync(target, mediaType, body, ct);
    public virtual Task<Digest> PushBlobAsync(ImageReference repository, byte[] content, CancellationToken ct = default) => inner.PushBlobAsync(repository, content, ct);
    public virtual Task<bool> HasBlobAsync(ImageReference repository, Digest digest, CancellationToken ct = default) => inner.HasBlobAsync(repository, digest, ct);
    public virtual Task<bool> PushBlobAsync(ImageReference repository, Digest digest, long size, Func<Stream> open, CancellationToken ct = default) =>
        inner.PushBlobAsync(repository, digest, size, open, ct);
    public virtual Task<byte[]?> FindBlobAsync(ImageReference repository, Digest digest, CancellationToken ct = default) => inner.FindBlobAsync(repository, digest, ct);
    public virtual Task<RegistryManifest?> FindReferrersAsync(ImageReference subject, CancellationToken ct = default) => inner.FindReferrersAsync(subject, ct);
    public void Dispose() => inner.Dispose();
}
