using System.Diagnostics;
using System.Text.Json;
using Strata.Engine;
using Strata.Oci;
using Strata.Registry;

namespace Strata.Reproducible;

/// <summary>What pushing one image through the registry API did.</summary>
/// <param name="Manifest">The digest of its OCI image manifest, which the tag now names.</param>
/// <param name="Uploaded">The layers uploaded; the others the registry had.</param>
public sealed record UploadedImage(Digest Manifest, int Layers, int Uploaded, long BytesUploaded);

/// <summary>
/// Pushes an engine's image with bytes that depend on the image only, whichever machine and engine push it (issue 31):
/// the engine saves it (`docker save`: each layer's tar exactly as its diff id names it), each layer is compressed by
/// <see cref="StableGzip"/> and uploaded unless the registry has it, then the config as it is (its digest is the image
/// id), then an OCI image manifest (<see cref="ImageManifest"/>) by its digest, and only then the tag: a tag never names
/// a manifest whose blobs are not all in. Used for --reproducible runs; other runs push through the engine, whose gzip
/// and manifest type follow its version.
/// </summary>
public sealed class ImageUpload(IImageArchives archives, IRegistry registry, Action<string> log)
{
    // The same tar always gives the same blob: a layer compressed once in this run (a core's, pushed again under its
    // published image) is not compressed again when the registry has its blob.
    private readonly Dictionary<Digest, CompressedLayer> _compressed = [];

    /// <summary>Pushes the engine's image <paramref name="image"/> to <paramref name="target"/> (a tag of the registry).</summary>
    public async Task<UploadedImage> PushAsync(ImageReference image, ImageReference target, CancellationToken ct = default)
    {
        var work = Directory.CreateTempSubdirectory("strata-upload-").FullName;
        try
        {
            var archive = Path.Combine(work, "saved.tar");
            await archives.SaveAsync(image, archive, ct);
            return await PushSavedAsync(await SavedImage.ReadAsync(archive, ct), target, work, ct);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Pushes a saved image to <paramref name="target"/>'s tag; <paramref name="work"/> holds one compressed layer at a time.</summary>
    public async Task<UploadedImage> PushSavedAsync(SavedImage saved, ImageReference target, string work, CancellationToken ct = default)
    {
        if (target.Tag is null || target.Digest is not null)
            throw new ArgumentException($"{target} is not a tag: an image is pushed under a tag, which moves once everything is in.", nameof(target));
        var clock = Stopwatch.StartNew();
        var repository = target with { Tag = null };
        var diffIds = DiffIds(saved);
        var blobs = new Dictionary<string, CompressedLayer>(StringComparer.Ordinal); // by the layer's name in the archive
        var (uploaded, bytes) = (0, 0L);
        await saved.ForEachLayerAsync(async (name, tar) =>
        {
            var diffId = diffIds[IndexOf(saved, name)];
            if (_compressed.TryGetValue(diffId, out var known) && await registry.HasBlobAsync(repository, known.Digest, ct))
            {
                blobs[name] = known;
                return;
            }
            var file = Path.Combine(work, "layer.tar.gz");
            CompressedLayer layer;
            await using (var to = File.Create(file)) layer = await StableGzip.CompressAsync(tar, to, ct);
            if (layer.DiffId != diffId)
                throw new InvalidDataException($"{saved.ArchivePath}: the layer {name} is {layer.DiffId}, but the image's config names {diffId} " +
                                               "at its place; the saved image is inconsistent, nothing was tagged.");
            if (await registry.PushBlobAsync(repository, layer.Digest, layer.Size, () => File.OpenRead(file), ct))
                (uploaded, bytes) = (uploaded + 1, bytes + layer.Size);
            File.Delete(file);
            blobs[name] = _compressed[diffId] = layer;
        }, ct);

        var config = await registry.PushBlobAsync(repository, saved.Config, ct);
        var manifest = ImageManifest.Assemble(new BlobDescriptor(ImageManifest.ConfigType, config, saved.Config.Length),
            saved.Layers.Select(l => new BlobDescriptor(ImageManifest.GzipLayerType, blobs[l].Digest, blobs[l].Size)).ToList());
        var digest = await registry.PushManifestAsync(repository.WithDigest(Digest.Of(manifest).ToString()), ImageManifest.MediaType, manifest, ct);
        await registry.PushManifestAsync(target, ImageManifest.MediaType, manifest, ct);
        log($"==> {target}: pushed by Strata as {digest.Short} ({uploaded} of {saved.Layers.Count} layers uploaded, " +
            $"{bytes / 1048576.0:0.0} MiB, in {clock.Elapsed.TotalSeconds:0.0} s)");
        return new UploadedImage(digest, saved.Layers.Count, uploaded, bytes);
    }

    private static int IndexOf(SavedImage saved, string name)
    {
        for (var i = 0; i < saved.Layers.Count; i++)
            if (saved.Layers[i] == name) return i;
        throw new InvalidDataException($"{saved.ArchivePath}: {name} is not one of the image's layers.");
    }

    /// <summary>The config's diff ids, one per layer of the archive's manifest.</summary>
    private static IReadOnlyList<Digest> DiffIds(SavedImage saved)
    {
        using var doc = JsonDocument.Parse(saved.Config);
        var ids = doc.RootElement.TryGetProperty("rootfs", out var rootfs) && rootfs.TryGetProperty("diff_ids", out var list)
            ? list.EnumerateArray().Select(d => Digest.Parse(d.GetString() ?? "")).ToList()
            : throw new InvalidDataException($"{saved.ArchivePath}: the image's config has no rootfs.diff_ids.");
        if (ids.Count != saved.Layers.Count)
            throw new InvalidDataException($"{saved.ArchivePath}: the config names {ids.Count} layers, the archive's manifest {saved.Layers.Count}.");
        return ids;
    }
}
