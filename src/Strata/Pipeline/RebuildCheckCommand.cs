using System.Text.Json;
using Strata.Engine;
using Strata.Images;
using Strata.Oci;
using Strata.Reproducible;
using Strata.Registry;

namespace Strata.Pipeline;

/// <summary>One image's rebuild against the registry: the config digest (the image id) the moving tag names for the platform, and the rebuilt one's.</summary>
public sealed record RebuildRow(string Image, Platform Platform, string? Published, string Rebuilt, IReadOnlyList<LayerDifference> Differences)
{
    public bool Reproduced => Published == Rebuilt;
}

/// <summary>A rebuild gave other bytes than the registry's, or the registry has no image to compare with.</summary>
public sealed class RebuildMismatchException(string message) : Exception(message);

/// <summary>
/// verify --rebuild: builds the current commit's chain again on this machine, without any cache and normalised, and compares
/// each image with the one the registry's moving tag names for the platform, by config digest (the image id: the same
/// layers, config and history; the manifest's digest also depends on the pushed compression). On a difference both are
/// saved and compared file by file, per layer. The plan's local key tags are untagged first (their images stay in the
/// registry), so every stage is built here.
/// </summary>
public sealed class RebuildCheckCommand(IReadOnlyList<PlatformRun> runs, Func<BuildPlan, ChainBuilder> rebuilder, IRegistry registry,
    ImageRepository repository, IImageStore images, IImageArchives? archives, Action<string> log)
{
    public async Task<IReadOnlyList<RebuildRow>> RunAsync(string? only = null, CancellationToken ct = default)
    {
        var saver = archives ?? throw new InvalidOperationException("verify --rebuild needs the real engine.");
        var rows = new List<RebuildRow>();
        foreach (var run in runs)
        {
            var plan = run.Plan;
            foreach (var stage in plan.Images.SelectMany(i => i.Stages))
            {
                try { await images.RemoveImageAsync(stage.KeyTag, force: false, ct); }
                catch (EngineNotFoundException) { }
            }
            var builder = rebuilder(plan);
            var wanted = only is null ? plan.Images : plan.Lineage(only);
            foreach (var image in wanted) await builder.BuildImageAsync(plan, image.Name, ct);
            foreach (var image in wanted.Where(i => only is null || i.Name == only))
                rows.Add(await CompareAsync(saver, image, ct));
        }
        foreach (var row in rows)
        {
            log($"  {row.Image,-10} {row.Platform,-12} {(row.Reproduced ? "reproduced" : row.Published is null ? "no published image" : "DIFFERS")}  " +
                $"rebuilt {Short(row.Rebuilt)}  registry {Short(row.Published)}");
            foreach (var line in LayerDiff.Describe(row.Differences)) log(line);
        }
        var failed = rows.Where(r => !r.Reproduced).ToList();
        if (failed.Count > 0)
            throw new RebuildMismatchException(
                $"verify --rebuild: {string.Join(", ", failed.Select(r => $"{r.Image} ({r.Platform})"))} did not rebuild to the registry's image " +
                "(the files that differ are listed above, per layer).");
        log($"==> verify --rebuild: {rows.Count} image(s) rebuilt bit for bit (config and layers) from {registry.Location.ImageName(repository)}");
        return rows;
    }

    private async Task<RebuildRow> CompareAsync(IImageArchives archives, ImagePlan image, CancellationToken ct)
    {
        var rebuiltId = (await images.InspectImagesAsync([image.Published.KeyTag], ct)).Single().Id;
        var rebuilt = rebuiltId.ToString();
        var manifestDigest = await PublishedManifestAsync(image, ct);
        if (manifestDigest is null) return new RebuildRow(image.Name, image.Platform, null, rebuilt, []);
        var manifest = await registry.FindManifestAsync(registry.Location.Reference(repository).WithDigest(manifestDigest), ct)
            ?? throw new RegistryException($"{repository}@{manifestDigest} is named by the moving tag {image.Name} but is not in the registry.");
        using var doc = JsonDocument.Parse(manifest.Body);
        var published = doc.RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        if (published == rebuilt) return new RebuildRow(image.Name, image.Platform, published, rebuilt, []);

        var remote = registry.Location.Reference(repository).WithDigest(manifestDigest);
        await images.PullAsync(remote, null, ct);
        var work = Directory.CreateTempSubdirectory("strata-rebuild-").FullName;
        try
        {
            var (a, b) = (Path.Combine(work, "registry.tar"), Path.Combine(work, "rebuilt.tar"));
            await archives.SaveAsync(remote, a, ct);
            await archives.SaveAsync(rebuiltId, b, ct);
            return new RebuildRow(image.Name, image.Platform, published, rebuilt, await LayerDiff.CompareAsync(a, b, ct));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
            // Pulled only to compare: its digest reference goes (the image too, unless something else names it).
            try { await images.RemoveImageAsync(remote, force: false, CancellationToken.None); }
            catch (EngineException) { }
        }
    }

    /// <summary>The manifest digest the image's moving tag names for its platform (an index's entry, or a single manifest), or null.</summary>
    private async Task<Digest?> PublishedManifestAsync(ImagePlan image, CancellationToken ct)
    {
        if (await registry.FindManifestAsync(registry.Location.Reference(repository).WithTag(image.Name), ct) is not { } moving) return null;
        return moving.MediaType == ImageIndex.MediaType
            ? ImageIndex.Read(moving.Body).FirstOrDefault(m => m.Platform == image.Platform)?.Digest
            : moving.Digest;
    }

    private static string Short(string? digest) => digest is null ? "-" : digest.Replace("sha256:", "")[..12];
}
