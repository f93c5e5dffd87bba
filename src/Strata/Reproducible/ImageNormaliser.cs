using System.Diagnostics;
using Strata.Engine;
using Strata.Oci;

namespace Strata.Reproducible;

/// <summary>
/// Makes the image a tag names reproducible in the engine: saved, normalised (<see cref="SavedImageNormaliser"/>),
/// loaded back under the same tag; the image built before is removed when nothing else names it.
/// </summary>
public sealed class ImageNormaliser(IImageArchives archives, IImageStore images, Action<string> log)
{
    /// <summary>Normalises the image under <paramref name="tag"/> and moves the tag onto the result; returns its id.</summary>
    public async Task<NormalisedImage> NormaliseAsync(ImageReference tag, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var before = (await images.InspectImagesAsync([tag], ct)).SingleOrDefault()
            ?? throw new EngineException($"{tag} is not in the engine: nothing to normalise.");
        var work = Directory.CreateTempSubdirectory("strata-normalise-").FullName;
        try
        {
            var saved = Path.Combine(work, "saved.tar");
            await archives.SaveAsync(tag, saved, ct);
            var normalisedPath = Path.Combine(work, "normalised.tar");
            NormalisedImage normalised;
            await using (var output = File.Create(normalisedPath))
                normalised = await SavedImageNormaliser.NormaliseAsync(saved, [tag.ToString()], output, work, ct);
            File.Delete(saved);
            await using (var input = File.OpenRead(normalisedPath))
                await archives.LoadAsync(input, ct);
            var after = (await images.InspectImagesAsync([tag], ct)).Single();
            if (after.Id.ToString() != normalised.Id)
                throw new EngineException($"{tag} is {after.Id} after loading its normalised image {normalised.Id}.");
            if (before.Id != after.Id && before.RepoTags.All(t => t == tag))
            {
                try { await images.RemoveImageAsync(before.Id, force: false, ct); }
                catch (EngineException) { /* still used (a container, a child): it stays, untagged */ }
            }
            log($"==> {tag}: normalised in {clock.Elapsed.TotalSeconds:0.0} s ({normalised.Dropped.Count} build records left out)");
            return normalised;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
