using System.IO.Pipelines;
using Docker.DotNet;
using Docker.DotNet.Models;
using Strata.Oci;
using Strata.Registry;
using Platform = Strata.Oci.Platform;

namespace Strata.Engine;

/// <summary>The engine's images through the Engine API (see <see cref="IImageStore"/>).</summary>
internal sealed class EngineImages(DockerClient client, EngineContainers containers, Func<string?> dockerConfig,
    Action<string>? onOperation) : IImageStore
{
    public async Task<IReadOnlyList<ImageInfo>> InspectImagesAsync(IEnumerable<ImageLocator> images, CancellationToken ct = default)
    {
        var wanted = images.Distinct().ToList();
        // Tags are all asked in one list call (the reference filter takes many values, or-ed); ids and digests one by one.
        var found = new Dictionary<ImageId, ImageInfo>();
        var tagged = wanted.Where(l => l.IsTag).Select(l => $"{l.Reference!.Repository}:{l.Reference.TagOrLatest}").Distinct().ToList();
        if (tagged.Count > 0)
            foreach (var image in await ListAsync(new Dictionary<string, IDictionary<string, bool>>
                     {
                         ["reference"] = tagged.ToDictionary(t => t, _ => true),
                     }, ct))
                found[image.Id] = image;
        foreach (var locator in wanted.Where(l => !l.IsTag))
            if (await InspectAsync(locator, ct) is { } image) found[image.Id] = image;
        return found.Values.ToList();
    }

    public async Task<IReadOnlyList<ImageInfo>> ListImagesAsync(ImageReference? reference = null, IEnumerable<string>? labels = null,
        CancellationToken ct = default)
    {
        var filters = new Dictionary<string, IDictionary<string, bool>>();
        if (reference is not null) filters["reference"] = new Dictionary<string, bool> { [reference.ToString()] = true };
        if (labels?.ToList() is { Count: > 0 } l) filters["label"] = l.ToDictionary(x => x, _ => true);
        return await ListAsync(filters, ct);
    }

    private async Task<IReadOnlyList<ImageInfo>> ListAsync(IDictionary<string, IDictionary<string, bool>> filters, CancellationToken ct)
    {
        var list = await EngineCall.RunAsync("list images", () => client.Images.ListImagesAsync(new ImagesListParameters { Filters = filters }, ct), ct);
        return list.Select(i => new ImageInfo(ImageId.Parse(i.ID), Tags(i.RepoTags),
            (IReadOnlyDictionary<string, string>?)i.Labels?.ToDictionary() ?? new Dictionary<string, string>(), i.Size, i.Created)).ToList();
    }

    private async Task<ImageInfo?> InspectAsync(ImageLocator image, CancellationToken ct)
    {
        try
        {
            var i = await EngineCall.RunAsync($"inspect image {image}", () => client.Images.InspectImageAsync(image.ToString(), ct), ct);
            return new ImageInfo(ImageId.Parse(i.ID), Tags(i.RepoTags),
                (IReadOnlyDictionary<string, string>?)i.Config?.Labels?.ToDictionary() ?? new Dictionary<string, string>(), i.Size,
                i.Created ?? DateTime.MinValue);
        }
        catch (EngineNotFoundException)
        {
            return null;
        }
    }

    public Task TagAsync(ImageLocator source, ImageReference target, CancellationToken ct = default) =>
        EngineCall.RunAsync($"tag {source} as {target}",
            () => client.Images.TagImageAsync(source.ToString(), new ImageTagParameters { RepositoryName = target.Repository, Tag = target.TagOrLatest }, ct), ct);

    public Task RemoveImageAsync(ImageLocator image, bool force = false, CancellationToken ct = default) =>
        EngineCall.RunAsync($"remove image {image}",
            () => client.Images.DeleteImageAsync(image.ToString(), new ImageDeleteParameters { Force = force }, ct), ct);

    public async Task PullAsync(ImageReference reference, RegistryCredentials? credentials, CancellationToken ct = default,
        Action<string>? progress = null)
    {
        var messages = new ProgressMessages(progress);
        var auth = await AuthAsync(reference, credentials, ct);
        onOperation?.Invoke("pull");
        await EngineCall.RunAsync($"pull {reference}", () => client.Images.CreateImageAsync(
            new ImagesCreateParameters { FromImage = reference.Repository, Tag = reference.Digest ?? reference.TagOrLatest },
            auth, messages, ct), ct);
        if (messages.Error is { } error) throw new EngineException($"could not pull {reference}: {error}");
    }

    public async Task PushAsync(ImageReference reference, RegistryCredentials? credentials, Action<string> onOutput, CancellationToken ct = default)
    {
        var messages = new ProgressMessages(onOutput);
        var auth = await AuthAsync(reference, credentials, ct) ?? new AuthConfig();
        onOperation?.Invoke("push");
        await EngineCall.RunAsync($"push {reference}", () => client.Images.PushImageAsync(reference.Repository,
            new ImagePushParameters { Tag = reference.TagOrLatest }, auth, messages, ct), ct);
        if (messages.Error is { } error)
            throw new EngineException($"push {reference} failed: {error}" + (error.Contains("auth", StringComparison.OrdinalIgnoreCase)
                ? $" (log in first: docker login {reference.Registry})" : ""));
    }

    /// <summary>The login for the reference's registry: the one given, else the docker config file's.</summary>
    private async Task<AuthConfig?> AuthAsync(ImageReference reference, RegistryCredentials? credentials, CancellationToken ct)
    {
        var host = RegistryCredentials.ConfigHost(reference);
        credentials ??= await RegistryCredentials.FromDockerConfigAsync(host,
            name => name == "DOCKER_CONFIG" && dockerConfig() is { } config ? config : Environment.GetEnvironmentVariable(name), ct);
        return credentials switch
        {
            null => null,
            { User: "<token>" } => new AuthConfig { IdentityToken = credentials.Secret, ServerAddress = host },
            _ => new AuthConfig { Username = credentials.User, Password = credentials.Secret, ServerAddress = host },
        };
    }

    public async Task ImportAsync(Func<Stream, CancellationToken, Task> writeTar, ImageReference reference, Platform platform,
        CancellationToken ct = default)
    {
        var pipe = new Pipe();
        var messages = new ProgressMessages(null);
        var write = Task.Run(async () =>
        {
            await using var input = pipe.Writer.AsStream();
            try { await writeTar(input, ct); }
            catch (Exception e) { await pipe.Writer.CompleteAsync(e); throw; }
        }, ct);
        await using var body = pipe.Reader.AsStream();
        var send = EngineCall.RunAsync($"import {reference}", () => client.Images.CreateImageAsync(
            new ImagesCreateParameters { Repo = reference.Repository, Tag = reference.TagOrLatest, Platform = platform.ToString() },
            body, null, messages, ct), ct);
        await Task.WhenAll(write, send);
        if (messages.Error is { } error) throw new EngineException($"import {reference} failed: {error}");
        if (await PlatformOfAsync(reference, ct) != platform) await RelabelAsync(reference, platform, ct);
    }

    public async Task<Platform?> PlatformOfAsync(ImageLocator image, CancellationToken ct = default)
    {
        try
        {
            var i = await EngineCall.RunAsync($"inspect image {image}", () => client.Images.InspectImageAsync(image.ToString(), ct), ct);
            return new Platform(i.Os ?? "linux", i.Architecture ?? "", string.IsNullOrEmpty(i.Variant) ? null : i.Variant);
        }
        catch (EngineNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Rewrites the platform in an image's config (docker save, the config edited, docker load under the same tag): engine 20.10's
    /// import ignores the platform asked for, and BuildKit uses a local base image only when its config names the build's platform.
    /// </summary>
    private async Task RelabelAsync(ImageReference reference, Platform platform, CancellationToken ct)
    {
        using var edited = new MemoryStream();
        await using (var saved = await EngineCall.RunAsync($"save {reference}", () => client.Images.SaveImageAsync(reference.ToString(), ct), ct))
            await ImageConfigs.SetPlatformAsync(saved, edited, platform, ct);
        edited.Position = 0;
        var messages = new ProgressMessages(null);
        await EngineCall.RunAsync($"load {reference}", () => client.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, edited, messages, ct), ct);
        if (messages.Error is { } error) throw new EngineException($"load {reference} as {platform} failed: {error}");
        if (await PlatformOfAsync(reference, ct) is var now && now != platform)
            throw new EngineException($"{reference} is {now?.ToString() ?? "missing"} after loading it as {platform}.");
    }

    /// <summary>One archive of the paths' common folder from a created (never started) container: each archive request mounts it, so one for all.</summary>
    public async Task<IReadOnlyList<ImageFile>> ReadFilesAsync(ImageLocator image, IEnumerable<string> paths, CancellationToken ct = default)
    {
        var wanted = paths.ToHashSet(StringComparer.Ordinal);
        if (wanted.Count == 0) return [];
        return await ReadFolderAsync(image, ImageArchive.CommonFolder(wanted), wanted.Contains, ct);
    }

    public async Task<IReadOnlyList<ImageFile>> ReadFolderAsync(ImageLocator image, string folder, Func<string, bool> include, CancellationToken ct = default)
    {
        folder = folder.TrimEnd('/');
        return await containers.WithCreatedContainerAsync<IReadOnlyList<ImageFile>>(image, async id =>
        {
            ContainerArchiveResponse archive;
            try
            {
                archive = await EngineCall.RunAsync($"read {folder} from {image}", () => client.Containers.GetArchiveFromContainerAsync(id,
                    new ContainerPathStatParameters { Path = folder.Length == 0 ? "/" : folder }, statOnly: false, ct), ct);
            }
            catch (EngineNotFoundException)
            {
                return [];
            }
            // Read whole first: the client's chunked stream does not take the tar reader's partial reads.
            using var whole = new MemoryStream();
            await using (var stream = archive.Stream!) await stream.CopyToAsync(whole, ct);
            whole.Position = 0;
            return await ImageArchive.ReadFilesAsync(whole, folder, include, ct);
        }, ct);
    }

    public async Task<IReadOnlyList<ImageLayer>> ReadLayersAsync(ImageLocator image, CancellationToken ct = default) =>
        await ReadLayerFoldersAsync(image, ct) ?? await SaveAndReadLayersAsync(image, ct);

    /// <summary>The layers read from `docker save` (headers only): where the engine's folders are not on this machine.</summary>
    internal async Task<IReadOnlyList<ImageLayer>> SaveAndReadLayersAsync(ImageLocator image, CancellationToken ct = default)
    {
        // Spooled to a temporary file first: the engine's chunked stream ends early under TarReader's nested reads (EndOfStreamException).
        var spool = Path.Combine(Path.GetTempPath(), $"strata-save-{Guid.NewGuid():N}.tar");
        try
        {
            await using (var saved = await EngineCall.RunAsync($"save {image}", () => client.Images.SaveImageAsync(image.ToString(), ct), ct))
            await using (var file = File.Create(spool))
                await saved.CopyToAsync(file, ct);
            await using var archive = File.OpenRead(spool);
            return await ImageLayersReader.ReadAsync(archive, ct);
        }
        finally
        {
            File.Delete(spool);
        }
    }

    public Task ExportImageAsync(ImageLocator image, Func<Stream, CancellationToken, Task> read, CancellationToken ct = default) =>
        containers.WithCreatedContainerAsync(image, async id =>
        {
            await using var tar = await EngineCall.RunAsync($"export the filesystem of {image}", () => client.Containers.ExportContainerAsync(id, ct), ct);
            await read(tar, ct);
            return true;
        }, ct);

    public async Task<IReadOnlyList<string>?> LayerFoldersAsync(ImageLocator image, CancellationToken ct = default) =>
        (await InspectLayerFoldersAsync(image, ct)).Folders;

    /// <summary>One inspect: the image's id, and its layer folders on this machine, top first (null where they are not).</summary>
    private async Task<(ImageId Id, IReadOnlyList<string>? Folders)> InspectLayerFoldersAsync(ImageLocator image, CancellationToken ct)
    {
        var inspected = await EngineCall.RunAsync($"inspect image {image}", () => client.Images.InspectImageAsync(image.ToString(), ct), ct);
        var id = ImageId.Parse(inspected.ID);
        if (inspected.GraphDriver is not { Name: "overlay2", Data: { } data } || !data.TryGetValue("UpperDir", out var top)) return (id, null);
        // LowerDir is absent for an image of one layer; the engine lists it top first, as overlayfs wants it.
        var folders = new List<string> { top };
        if (data.TryGetValue("LowerDir", out var lower) && lower is { Length: > 0 }) folders.AddRange(lower.Split(':'));
        return (id, folders.All(Directory.Exists) ? folders : null);
    }

    /// <summary>
    /// The layers read from the engine's own folders on this machine (overlay2) with the image's config from its image
    /// store, checked against the image id (the config's digest); null wherever that is not so, and the image is saved.
    /// </summary>
    internal async Task<IReadOnlyList<ImageLayer>?> ReadLayerFoldersAsync(ImageLocator image, CancellationToken ct = default)
    {
        if (await InspectLayerFoldersAsync(image, ct) is not (var id, { } folders)) return null;
        _root ??= (await EngineCall.RunAsync("read the engine's information", () => client.System.GetSystemInfoAsync(ct), ct)).DockerRootDir;
        var configFile = Path.Combine(_root, "image", "overlay2", "imagedb", "content", "sha256", id.Hex);
        byte[] config;
        try { config = await File.ReadAllBytesAsync(configFile, ct); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        if (Digest.Of(config).ToString() != id.Value) return null; // not the config this image names: another engine's store
        using var json = System.Text.Json.JsonDocument.Parse(config);
        if (json.RootElement.GetProperty("rootfs").GetProperty("diff_ids").GetArrayLength() != folders.Count) return null;
        return ImageLayersReader.Named(json.RootElement, folders.Reverse().Select(LayerFolderReader.Read).ToList());
    }

    private string? _root;

    /// <summary>The engine's tags of an image, parsed where they enter; the engine's "&lt;none&gt;:&lt;none&gt;" (untagged) is none.</summary>
    private static IReadOnlyList<ImageReference> Tags(IEnumerable<string>? repoTags) =>
        (repoTags ?? []).Where(t => t != "<none>:<none>").Select(ImageReference.Parse).ToList();
}
