namespace Strata.Engine;

/// <summary>Builds images (the docker CLI: see <see cref="CliBuilder"/>).</summary>
public interface IImageBuilder
{
    BuilderChoice Choice { get; }

    /// <summary>The builder that builds (resolved once: which client, BuildKit or classic).</summary>
    Task<ResolvedBuilder> ResolveBuilderAsync(CancellationToken ct = default);

    /// <summary>
    /// Builds an image from a tar build context; every output line goes to <paramref name="onOutput"/> as it
    /// arrives. Returns the new image id and the steps the cache served. A failed build throws
    /// <see cref="EngineException"/> and tags nothing.
    /// </summary>
    Task<BuiltImage> BuildAsync(BuildRequest request, Func<Stream, CancellationToken, Task> writeContext, Action<string> onOutput,
        CancellationToken ct = default);
}
