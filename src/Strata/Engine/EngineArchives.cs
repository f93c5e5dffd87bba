using Docker.DotNet;
using Docker.DotNet.Models;

namespace Strata.Engine;

/// <summary>Save and load through the Engine API.</summary>
internal sealed class EngineArchives(DockerClient client) : IImageArchives
{
    public async Task SaveAsync(ImageLocator image, string archivePath, CancellationToken ct = default)
    {
        // Spooled whole: the engine's chunked stream ends early under TarReader's nested reads.
        await using var saved = await EngineCall.RunAsync($"save {image}", () => client.Images.SaveImageAsync(image.ToString(), ct), ct);
        await using var file = File.Create(archivePath);
        await saved.CopyToAsync(file, ct);
    }

    public async Task LoadAsync(Stream archive, CancellationToken ct = default)
    {
        var messages = new ProgressMessages(null);
        await EngineCall.RunAsync("load an image", () => client.Images.LoadImageAsync(new ImageLoadParameters { Quiet = true }, archive, messages, ct), ct);
        if (messages.Error is { } error) throw new EngineException($"load failed: {error}");
    }
}
