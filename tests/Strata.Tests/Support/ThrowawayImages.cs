using Strata.Engine;
using Strata.Oci;

namespace Strata.Tests.Support;

/// <summary>Images a test builds from a Dockerfile given as text (no context); all removed on dispose.</summary>
public sealed class ThrowawayImages(IEngine docker, string repository) : IAsyncDisposable
{
    private readonly List<ImageReference> _tags = [];

    /// <summary>Builds <paramref name="dockerfile"/> as <c>REPOSITORY/NAME:random</c> and returns that tag.</summary>
    public async Task<ImageReference> BuildAsync(string name, string dockerfile)
    {
        var tag = ImageReference.Parse($"{repository}/{name}:{Guid.NewGuid():N}"[..^20]);
        await EngineFixture.BuildDockerfileAsync(docker, tag.ToString(), dockerfile);
        _tags.Add(tag);
        return tag;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var tag in _tags) await docker.Images.RemoveImageAsync(tag);
    }
}
