using Strata.Oci;
using Strata.Registry;

namespace Strata.Tests.Support;

/// <summary>How tests name what they ask a registry for: a repository of it, with a tag or a digest.</summary>
public static class RegistryReferences
{
    /// <summary>The repository in the registry (the fakes hold one repository: null names it too).</summary>
    public static ImageReference At(this IRegistry registry, ImageRepository? repository) =>
        registry.Location.Reference(repository ?? FakesRepository);

    private static readonly ImageRepository FakesRepository = ImageRepository.Parse("acme/workstation");

    /// <summary>A manifest of the repository in the registry, by its digest.</summary>
    public static ImageReference At(this IRegistry registry, ImageRepository? repository, Digest digest) => registry.At(repository).WithDigest(digest);

    /// <summary>A tag (or a <c>sha256:</c> digest) of the repository in the registry.</summary>
    public static ImageReference At(this IRegistry registry, ImageRepository? repository, string tagOrDigest) =>
        tagOrDigest.StartsWith("sha256:", StringComparison.Ordinal)
            ? registry.At(repository).WithDigest(tagOrDigest)
            : registry.At(repository).WithTag(tagOrDigest);
}
