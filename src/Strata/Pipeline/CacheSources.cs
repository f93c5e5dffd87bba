using Strata.Engine;
using Strata.Images;
using Strata.Oci;
using Strata.Registry;
using Strata.Reporting;

namespace Strata.Pipeline;

/// <summary>
/// The previous version of a core stage, as layer cache for building it again: the image under the moving
/// tag names it (a published image's parent key is its core's key), in the engine first, then in the
/// registry; without a moving tag (images built, never promoted), the newest core of the image that the
/// plan history names and the engine has. The core is then looked for under its key tag, in the engine,
/// then in the registry. <see cref="FindAsync"/>
/// asks and changes nothing (the plan); <see cref="PrepareAsync"/> pulls the core by digest when only
/// the registry has it (the builders read local images only). Only the core is pulled: the layers it
/// shares with its parent's core are here already.
/// </summary>
public sealed class CacheSources(IImageStore images, IRegistry? registry, RegistryLogin login, ImageRepository repository, PlanHistory? history,
    Action<string> log) : ICacheSources
{
    /// <summary>The repository in the registry, with <paramref name="tag"/>: what the registry is asked by.</summary>
    private ImageReference Remote(string tag) => registry!.Location.Reference(repository).WithTag(tag);

    public async Task<CacheSource?> FindAsync(ImagePlan image, Stage stage, CancellationToken ct = default)
    {
        if (stage.Kind != StageKind.Core) return null;
        var key = await PreviousCoreKeyAsync(image, ct) ?? await LastPlannedCoreKeyAsync(image, stage, ct);
        if (key is null || key == stage.Key) return null;

        var tag = KeyTagOf(stage, key);
        var local = (await images.InspectImagesAsync([tag], ct)).SingleOrDefault();
        // (a core's key tag does not name its platform: the other platform's core of another key must not serve)
        if (local?.Labels.GetValueOrDefault(ChainBuilder.KeyLabel) == key)
            return await images.PlatformOfAsync(tag, ct) == stage.Platform ? new CacheSource(tag, key, CacheOrigin.Local) : null;

        if (registry is null) return null;
        var remote = await registry.FindAsync(Remote(tag.Tag!), ct);
        return remote?.Labels.GetValueOrDefault(ChainBuilder.KeyLabel) == key
            ? new CacheSource(remote.Pinned, key, CacheOrigin.Registry) { Size = remote.Size }
            : null;
    }

    public async Task<CacheSource?> PrepareAsync(ImagePlan image, Stage stage, CancellationToken ct = default)
    {
        var source = await FindAsync(image, stage, ct);
        if (source is { Origin: CacheOrigin.Registry })
        {
            log($"==> {image.Name}: pulling the previous version {source.Image} ({SummaryTable.FormatSize(source.Size)}) as layer cache");
            await images.PullAsync(source.Image, await login.GetAsync(ct), ct);
            // Under its key tag, like every stage Strata pulls: prune and the plan history know it, nothing is left untagged.
            await images.TagAsync(source.Image, KeyTagOf(stage, source.Key), ct);
        }
        return source;
    }

    /// <summary>The key tag the stage had under another key.</summary>
    private static ImageReference KeyTagOf(Stage stage, string key) => stage.KeyTag.WithTag(KeyTag.WithKey(stage.KeyTag.Tag!, key));

    /// <summary>The full key of the newest core of this image in the plan history that the engine has (not this plan's).</summary>
    private async Task<string?> LastPlannedCoreKeyAsync(ImagePlan image, Stage stage, CancellationToken ct)
    {
        if (history is null) return null;
        var prefix = $"{stage.KeyTag.Repository}:{KeyTag.WithoutKey(stage.KeyTag.Tag!)}"; // the key tag without its key
        foreach (var plan in history.Plans().Reverse())
            foreach (var tag in plan.Where(t => t.StartsWith(prefix, StringComparison.Ordinal) && t != stage.KeyTag.ToString()).Select(ImageReference.Parse))
            {
                var labels = (await images.InspectImagesAsync([tag], ct)).SingleOrDefault()?.Labels;
                if (labels?.GetValueOrDefault(ChainBuilder.ImageLabel) == image.Name && labels.GetValueOrDefault(ChainBuilder.StageLabel) == "core" &&
                    labels.GetValueOrDefault(ChainBuilder.KeyLabel) is { Length: >= 12 } key && await images.PlatformOfAsync(tag, ct) == stage.Platform)
                    return key;
            }
        return null;
    }

    /// <summary>The core key of the image under the moving tag (engine, else registry); null when there is none.</summary>
    private async Task<string?> PreviousCoreKeyAsync(ImagePlan image, CancellationToken ct)
    {
        // The registry's moving tag is an index read for the engine's own platform: only the native plan (plain moving tag) asks it.
        var native = image.MovingTag.Tag == image.Name;
        var labels = (await images.InspectImagesAsync([image.MovingTag], ct)).SingleOrDefault()?.Labels
                     ?? (registry is null || !native ? null : (await registry.FindAsync(Remote(image.MovingTag.Tag!), ct))?.Labels);
        if (labels is null || labels.GetValueOrDefault(ChainBuilder.ImageLabel) != image.Name) return null;
        var key = labels.GetValueOrDefault(ChainBuilder.StageLabel) == "published"
            ? labels.GetValueOrDefault(ChainBuilder.ParentKeyLabel)
            : labels.GetValueOrDefault(ChainBuilder.KeyLabel);
        return key is { Length: >= 12 } ? key : null;
    }
}
