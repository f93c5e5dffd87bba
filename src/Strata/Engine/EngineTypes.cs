using Strata.Oci;

namespace Strata.Engine;

/// <summary>The engine's version, Engine API version and platform.</summary>
public sealed record EngineVersion(string Version, string ApiVersion, string Os, string Arch)
{
    public Platform Platform => new(Os, Arch);
}

/// <summary>An image as the engine describes it.</summary>
public sealed record ImageInfo(ImageId Id, IReadOnlyList<ImageReference> RepoTags, IReadOnlyDictionary<string, string> Labels, long Size,
    DateTime Created = default);

/// <summary>A regular file read from an image.</summary>
public sealed record ImageFile(string Path, byte[] Content, UnixFileMode Mode);

/// <summary>What a command in a container gave: its exit code and output.</summary>
public sealed record ExecResult(int ExitCode, string StdOut, string StdErr);

/// <summary>What one docker build needs. The context itself is streamed separately as a tar.</summary>
/// <param name="Dockerfile">The Dockerfile's path inside the context.</param>
/// <param name="Network">null for the engine's default; "host" to build with host networking.</param>
public sealed record BuildRequest(
    string Dockerfile,
    IReadOnlyDictionary<string, string> BuildArgs,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<ImageReference> Tags,
    string? Network)
{
    /// <summary>Build every step again, ignoring the builder's cache (a truly cold build).</summary>
    public bool NoCache { get; init; }

    /// <summary>
    /// Images (in the engine) whose layers may serve this build's steps: `--cache-from` on both builders.
    /// The classic builder then takes a local step only when it is an ancestor of one of them.
    /// </summary>
    public IReadOnlyList<ImageReference> CacheFrom { get; init; } = [];

    /// <summary>Write BuildKit's inline cache into the image's config (BUILDKIT_INLINE_CACHE=1), so a later build
    /// can use it as <see cref="CacheFrom"/>. The classic builder has no such metadata: ignored there.</summary>
    public bool InlineCache { get; init; }

    /// <summary>The platform to build for (--platform): BuildKit honours it, the classic builder of engine 20.10 builds the base image's.</summary>
    public Platform? Platform { get; init; }
}

/// <summary>What a successful build made: the image id, and how many of its RUN/COPY/ADD steps the cache served.</summary>
public sealed record BuiltImage(ImageId Id, int CachedSteps);

/// <summary>The engine refused or failed an operation; the message carries the engine's own error.</summary>
public class EngineException(string message) : Exception(message);

/// <summary>No engine answers; the message says how to start one.</summary>
public sealed class EngineUnavailableException(string message) : EngineException(message);

/// <summary>The image or container named does not exist.</summary>
public sealed class EngineNotFoundException(string message) : EngineException(message);
