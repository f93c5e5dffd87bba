using Strata.Graph;
using Strata.Keys;
using Strata.Oci;
using Strata.Tools;

namespace Strata.Images;

/// <summary>
/// Every image is built in two stages: its core (its own Dockerfile, FROM the parent's core) and
/// the published image (the core plus the thin dotfiles layer). Children build on the core, so a
/// dotfile edit rebuilds only the thin layers and never a package install.
/// </summary>
public enum StageKind { Core, Published }

/// <summary>
/// One docker build, identified by image, kind and platform: its content key, the tag it is kept
/// under (<see cref="KeyTag"/>) and exactly the files of its context.
/// </summary>
public sealed record Stage(
    string ImageName,
    StageKind Kind,
    Platform Platform,
    string Key,
    string? ParentKey,
    string Dockerfile,
    IReadOnlyList<InputFile> Files,
    IReadOnlyList<string> EmptyDirectories,
    IReadOnlyDictionary<string, string> BuildArgs,
    ImageReference KeyTag)
{
    /// <summary>Pinned binaries placed into the context at build time (keyed by their locked sha256, not re-hashed).</summary>
    public IReadOnlyList<BinaryTool> Tools { get; init; } = [];

    /// <summary>Files Strata writes into the context from data (the image's part of the package lock); their bytes are in the key.</summary>
    public IReadOnlyList<GeneratedFile> Generated { get; init; } = [];
    /// <summary>The vault program built into this stage's context at build time (thin layers; keyed by its sources).</summary>
    public VaultProgram? Vault { get; init; }

    /// <summary>Labels planned with the stage and part of its key (the devcontainer.metadata label); the builder adds its own.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>What the key is made of, by name, with a digest each: compared with a previous plan's, why the stage is rebuilt.</summary>
    public IReadOnlyList<KeyComponent> Components { get; init; } = [];

    public string ShortKey => Key[..12];
}

/// <summary>
/// The plan of one image: its core and, when the chain has a dotfiles layer, the thin layer on it.
/// What is published is the thin layer, or the core itself when there is none.
/// </summary>
public sealed record ImagePlan(ImageSpec Spec, Stage Core, Stage? ThinLayer, ImageReference MovingTag)
{
    public string Name => Spec.Name;
    public Platform Platform => Core.Platform;
    public bool HasThinLayer => ThinLayer is not null;
    /// <summary>The stage whose image is published, smoke-tested and tagged: the thin layer, else the core.</summary>
    public Stage Published => ThinLayer ?? Core;
    /// <summary>The image's key: the key of what is published.</summary>
    public string Key => Published.Key;
    public IEnumerable<Stage> Stages => ThinLayer is null ? [Core] : [Core, ThinLayer];
}

/// <summary>The plan of one platform: the images strata.yaml builds for it, each after its parent.</summary>
public sealed record BuildPlan(ImageGraph Graph, IReadOnlyList<ImagePlan> Images, ToolLock Lock)
{
    public Platform Platform { get; init; } = Platform.LinuxAmd64;
    /// <summary>packages.lock.json, as the plan was made from it.</summary>
    public Packages.PackageLock Packages { get; init; } = Strata.Packages.PackageLock.Empty;

    /// <summary>The Debian packages the lock pins for the image and its ancestors on this plan's platform.</summary>
    public IReadOnlyDictionary<string, Packages.LockedPackage> LockedPackages(string name) =>
        Lineage(name).SelectMany(i => Packages.For(Platform, i.Name)?.Packages ?? new Dictionary<string, Packages.LockedPackage>())
            .GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    public bool Contains(string name) => Images.Any(i => i.Name == name);

    public ImagePlan Get(string name) => Images.Single(i => i.Name == name);

    /// <summary>The image and its ancestors, root first.</summary>
    public IReadOnlyList<ImagePlan> Lineage(string name) => Graph.Lineage(name).Select(s => Get(s.Name)).ToList();
}
