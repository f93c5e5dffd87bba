namespace Strata.Graph;

/// <summary>How the chain's root gets its operating system.</summary>
/// <param name="Image">The pinned OS image, by digest (for example debian:trixie-slim@sha256:…).</param>
/// <param name="Debootstrap">How to make an equivalent image when the pinned one can be neither found nor pulled.</param>
public sealed record BaseOsSpec(Oci.ImageReference Image, DebootstrapSpec Debootstrap)
{
    /// <summary>The base OS as committed (pinned image and fallback recipe): part of the root image's key.</summary>
    public string Describe() => $"{Image} debootstrap:{Debootstrap.Suite}/{Debootstrap.Variant}/{Debootstrap.Mirror}";
}

public sealed record DebootstrapSpec(string Suite, string Variant, string Mirror);

/// <summary>One Dockerfile and the repository files its build context holds.</summary>
public sealed record LayerSpec(
    string Dockerfile,
    IReadOnlyList<string> Inputs,
    IReadOnlyDictionary<string, string> Args);

/// <summary>An image of the chain, as declared in strata.yaml.</summary>
/// <param name="HostCa">Whether the host's locally added CA certificates go into this image's context.</param>
public sealed record ImageSpec(string Name, string? Parent, LayerSpec Layer, bool HostCa, int Line)
{
    /// <summary>What dev-container tools should know to run this image (null: nothing of its own).</summary>
    public DevcontainerSpec? Devcontainer { get; init; }

    /// <summary>The platforms this image is built and published for: the chain's, or fewer (strata.yaml's per-image <c>platforms:</c>).</summary>
    public IReadOnlyList<Oci.Platform> Platforms { get; init; } = [Oci.Platform.LinuxAmd64];

    /// <summary>The most the published image may be (per platform, uncompressed); a bigger one fails the build before any tag moves. Null: no budget.</summary>
    public ByteSize? SizeBudget { get; init; }
}

/// <summary>The validated image chain: every image after its parent.</summary>
public sealed class ImageGraph
{
    private readonly Dictionary<string, ImageSpec> _byName;

    internal ImageGraph(
        string rootDirectory,
        string configPath,
        Oci.ImageRepository repository,
        string? source,
        BaseOsSpec baseOs,
        LayerSpec? dotfiles,
        IReadOnlyList<string> exclude,
        IReadOnlyList<ImageSpec> imagesInBuildOrder)
    {
        RootDirectory = rootDirectory;
        ConfigPath = configPath;
        Repository = repository;
        Source = source;
        BaseOs = baseOs;
        Dotfiles = dotfiles;
        Exclude = exclude;
        Images = imagesInBuildOrder;
        _byName = imagesInBuildOrder.ToDictionary(i => i.Name, StringComparer.Ordinal);
    }

    /// <summary>The repository checkout: every input path is relative to it.</summary>
    public string RootDirectory { get; }
    public string ConfigPath { get; }
    /// <summary>The image repository, e.g. strata/workstation (a registry run puts its host and namespace in front).</summary>
    public Oci.ImageRepository Repository { get; }
    /// <summary>The source URL recorded in the OCI source label, when configured.</summary>
    public string? Source { get; }
    public BaseOsSpec BaseOs { get; }
    /// <summary>The thin last layer of every published image (null: images are published as built).</summary>
    public LayerSpec? Dotfiles { get; }
    /// <summary>.dockerignore-style patterns applied to hashing and build contexts alike.</summary>
    public IReadOnlyList<string> Exclude { get; }
    /// <summary>All images, each after its parent.</summary>
    public IReadOnlyList<ImageSpec> Images { get; }
    /// <summary>
    /// The apt sources (one-line style) every locked install reads, and the package lock is resolved from: strata.yaml's
    /// <c>apt: sources:</c>, else the debootstrap mirror's suite, its updates and its security archive.
    /// </summary>
    public IReadOnlyList<string> AptSources { get; init; } = [];

    /// <summary>The platforms the chain is published for (strata.yaml's <c>platforms:</c>; linux/amd64 when absent).</summary>
    public IReadOnlyList<Oci.Platform> Platforms { get; init; } = [Oci.Platform.LinuxAmd64];

    /// <summary>The images built for <paramref name="platform"/>, each after its parent.</summary>
    public IReadOnlyList<ImageSpec> ImagesFor(Oci.Platform platform) => Images.Where(i => i.Platforms.Contains(platform)).ToList();

    public bool Contains(string name) => _byName.ContainsKey(name);

    public ImageSpec Get(string name) =>
        _byName.TryGetValue(name, out var image)
            ? image
            : throw new StrataConfigException(
                $"{Path.GetFileName(ConfigPath)}: there is no image named '{name}'. Known images: {string.Join(", ", _byName.Keys)}.");

    /// <summary>The image and its ancestors, root first: the order they must be built in.</summary>
    public IReadOnlyList<ImageSpec> Lineage(string name)
    {
        var chain = new List<ImageSpec>();
        for (var image = Get(name); ; image = Get(image.Parent))
        {
            chain.Add(image);
            if (image.Parent is null) break;
        }
        chain.Reverse();
        return chain;
    }
}
