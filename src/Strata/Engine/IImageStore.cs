using Strata.Oci;
using Strata.Registry;

namespace Strata.Engine;

/// <summary>The engine's images: look up, tag, remove, pull, push, import, and read their files without running them.</summary>
public interface IImageStore
{
    /// <summary>Inspects images by reference or id; those that do not exist are simply absent. Changes nothing.</summary>
    Task<IReadOnlyList<ImageInfo>> InspectImagesAsync(IEnumerable<ImageLocator> images, CancellationToken ct = default);

    /// <summary>Lists images: of a repository (<paramref name="reference"/> "repo" or "repo:tag"), carrying labels ("key" or "key=value"), or both.</summary>
    Task<IReadOnlyList<ImageInfo>> ListImagesAsync(ImageReference? reference = null, IEnumerable<string>? labels = null, CancellationToken ct = default);

    /// <summary>Points <paramref name="target"/> at the image <paramref name="source"/> (a reference or an id) names.</summary>
    Task TagAsync(ImageLocator source, ImageReference target, CancellationToken ct = default);

    /// <summary>Removes one tag (or an untagged image by id). <paramref name="force"/>: also when a stopped container uses it.</summary>
    Task RemoveImageAsync(ImageLocator image, bool force = false, CancellationToken ct = default);

    /// <summary>
    /// Pulls <paramref name="reference"/> (best by digest). <paramref name="credentials"/>: null for the login the
    /// docker config file holds for its registry. The secret goes to the engine only.
    /// </summary>
    Task PullAsync(ImageReference reference, RegistryCredentials? credentials, CancellationToken ct = default, Action<string>? progress = null);

    /// <summary>Pushes a local tag to its registry; progress lines go to <paramref name="onOutput"/>. Credentials as for <see cref="PullAsync"/>.</summary>
    Task PushAsync(ImageReference reference, RegistryCredentials? credentials, Action<string> onOutput, CancellationToken ct = default);

    /// <summary>
    /// Imports a root filesystem tar as an image of <paramref name="platform"/> (docker import), streamed as it is written.
    /// Engine 20.10 labels every import with its own architecture: the image's config is then corrected.
    /// </summary>
    Task ImportAsync(Func<Stream, CancellationToken, Task> writeTar, ImageReference reference, Platform platform, CancellationToken ct = default);

    /// <summary>The platform an image's config declares (os, architecture, variant); null when there is no such image. Changes nothing.</summary>
    Task<Platform?> PlatformOfAsync(ImageLocator image, CancellationToken ct = default);

    /// <summary>Reads the regular files among <paramref name="paths"/> (absolute) from an image without running anything; absent paths are left out.</summary>
    Task<IReadOnlyList<ImageFile>> ReadFilesAsync(ImageLocator image, IEnumerable<string> paths, CancellationToken ct = default);

    /// <summary>Reads the regular files under <paramref name="folder"/> whose absolute path <paramref name="include"/> accepts, without running anything; an absent folder gives none.</summary>
    Task<IReadOnlyList<ImageFile>> ReadFolderAsync(ImageLocator image, string folder, Func<string, bool> include, CancellationToken ct = default);

    /// <summary>An image's filesystem layers, bottom first: each one's step and its files and whiteouts (metadata only: the engine's layer folders where they are on this machine, else `docker save`). Changes nothing.</summary>
    Task<IReadOnlyList<ImageLayer>> ReadLayersAsync(ImageLocator image, CancellationToken ct = default);

    /// <summary>Streams an image's whole filesystem as a tar (what <c>docker export</c> gives) to <paramref name="read"/>.</summary>
    Task ExportImageAsync(ImageLocator image, Func<Stream, CancellationToken, Task> read, CancellationToken ct = default);

    /// <summary>
    /// The image's filesystem layers as folders on this machine, top first, where the engine keeps them so (its overlay2
    /// storage, readable here); null where it does not (another storage driver, an engine on another machine, folders this
    /// process cannot read). Read-only: for an overlay mount with a writable folder of its own on top. Changes nothing.
    /// </summary>
    Task<IReadOnlyList<string>?> LayerFoldersAsync(ImageLocator image, CancellationToken ct = default);
}

public static class ImageStoreExtensions
{
    /// <summary>Pulls an image with the docker config's login; false with the engine's reason when it cannot (an engine that is down still throws).</summary>
    public static async Task<(bool Ok, string Reason)> TryPullAsync(this IImageStore images, ImageReference reference,
        CancellationToken ct = default, Action<string>? progress = null)
    {
        try
        {
            await images.PullAsync(reference, null, ct, progress);
            return (true, "");
        }
        catch (EngineException e) when (e is not EngineUnavailableException)
        {
            return (false, e.Message);
        }
    }
}
