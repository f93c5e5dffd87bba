namespace Strata.Engine;

/// <summary>
/// The container engine, split by resource so each part of Strata asks only for what it uses and
/// tests can put an in-memory fake in its place. <see cref="DockerEngine"/> is the real one.
/// </summary>
public interface IEngine : IDisposable
{
    IImageStore Images { get; }
    IContainerRuntime Containers { get; }
    IImageBuilder Builds { get; }
    /// <summary>Save and load; null where the engine cannot (the in-memory fake): --reproducible and verify --rebuild then refuse.</summary>
    IImageArchives? Archives { get; }

    /// <summary>The engine's version, API version and platform (asked once, then remembered).</summary>
    Task<EngineVersion> VersionAsync(CancellationToken ct = default);
}
