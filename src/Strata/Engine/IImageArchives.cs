namespace Strata.Engine;

/// <summary>An engine's images as archives: `docker save` and `docker load`.</summary>
public interface IImageArchives
{
    /// <summary>Saves an image (a reference or an id) into <paramref name="archivePath"/>. Changes nothing in the engine.</summary>
    Task SaveAsync(ImageLocator image, string archivePath, CancellationToken ct = default);

    /// <summary>Loads a saved image's archive; its manifest's tags then name it.</summary>
    Task LoadAsync(Stream archive, CancellationToken ct = default);
}
