using Strata.Engine;

namespace Strata.Reproducible;

/// <summary>The composition root's one question about reproducible builds: which normaliser, if any.</summary>
public static class ReproducibleBuilds
{
    /// <summary>The normaliser a run's builds use: none unless asked for; an engine that cannot save and load images cannot give one.</summary>
    public static ImageNormaliser? NormaliserFor(bool reproducible, IImageArchives? archives, IImageStore images, Action<string> log) =>
        !reproducible ? null
        : archives is not null ? new ImageNormaliser(archives, images, log)
        : throw new InvalidOperationException("--reproducible needs the real engine (save and load).");
}
