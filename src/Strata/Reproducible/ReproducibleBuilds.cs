using Strata.Engine;

namespace Strata.Reproducible;

/// <summary>The composition root's questions about reproducible builds: which normaliser and which push, if any.</summary>
public static class ReproducibleBuilds
{
    /// <summary>The normaliser a run's builds use: none unless asked for; an engine that cannot save and load images cannot give one.</summary>
    public static ImageNormaliser? NormaliserFor(bool reproducible, IImageArchives? archives, IImageStore images, Action<string> log) =>
        !reproducible ? null
        : archives is not null ? new ImageNormaliser(archives, images, log)
        : throw new InvalidOperationException("--reproducible needs the real engine (save and load).");

    /// <summary>How a run pushes: with Strata's own bytes when reproducible (and there is a registry), else through the engine (null).</summary>
    public static ImageUpload? UploadFor(bool reproducible, Registry.IRegistry? registry, IImageArchives? archives, Action<string> log) =>
        !reproducible || registry is null ? null
        : archives is not null ? new ImageUpload(archives, registry, log)
        : throw new InvalidOperationException("--reproducible needs the real engine (save and load).");
}
