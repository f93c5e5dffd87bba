using Strata.Graph;
using Strata.Images;
using Strata.Oci;
using Strata.Packages;
using Strata.Tests.Support;
using Strata.Tools;

namespace Strata.Tests.Keys;

/// <summary>
/// An image's part of packages.lock.json is an input of its key (as the bytes of the apt files its installs read), so a
/// package update rebuilds exactly the images that install that package, and their descendants, on the platform that has
/// the change; and a Dockerfile whose installs the lock does not cover plans nothing.
/// </summary>
public class PackageKeyTests
{
    private static readonly string Root = RepositoryRoot.Find();

    /// <summary>The repository's own packages.lock.json.</summary>
    public static PackageLock RepositoryPackages { get; } = PackageLock.Load(Path.Combine(Root, PackageLock.DefaultFileName));

    private static BuildPlan Plan(PackageLock packages, Platform platform) =>
        BuildPlanner.Plan(GraphLoader.Load(Path.Combine(Root, "strata.yaml")), new PlanOptions
        {
            HostCa = HostCaMode.Off,
            Tools = ToolsFile.Load(Path.Combine(Root, "tools.yaml")),
            Lock = ToolKeyTests.Lock("3.19.1", _ => new string('1', 64)),
            Packages = packages,
            Platform = platform,
        });

    /// <summary>The repository's lock with one package of one image on one platform at another version.</summary>
    private static PackageLock Updated(Platform platform, string image, string package, string version)
    {
        var platformPackages = RepositoryPackages.Platforms[platform];
        var entry = platformPackages.Images[image];
        var packages = entry.Packages.ToDictionary();
        packages[package] = packages[package] with { Version = version, Sha256 = new string('e', 64) };
        var images = platformPackages.Images.ToDictionary();
        images[image] = entry with { Packages = packages };
        return RepositoryPackages.With(platform, platformPackages with { Images = images });
    }

    [Fact]
    public void The_repository_locks_every_install_of_every_image_on_every_platform()
    {
        var graph = GraphLoader.Load(Path.Combine(Root, "strata.yaml"));
        foreach (var platform in graph.Platforms)
            Assert.Equal(graph.ImagesFor(platform).Count, Plan(RepositoryPackages, platform).Images.Count);
        Assert.Contains("nodejs", RepositoryPackages.For(Platform.LinuxAmd64, "gemini")!.Packages.Keys);
        Assert.Contains("sudo", RepositoryPackages.For(Platform.LinuxArm64, "base")!.Packages.Keys);
    }

    [Fact]
    public void A_security_update_of_a_gemini_package_moves_gemini_and_latest_on_that_platform_only()
    {
        var after = Updated(Platform.LinuxAmd64, "gemini", "nodejs", "99.0.0-1+deb13u9");
        foreach (var platform in new[] { Platform.LinuxAmd64, Platform.LinuxArm64 })
        {
            var (old, now) = (Plan(RepositoryPackages, platform), Plan(after, platform));
            var moved = old.Images.Where(i => i.Key != now.Get(i.Name).Key).Select(i => i.Name).ToList();
            Assert.Equal(platform == Platform.LinuxAmd64 ? ["gemini", "latest"] : [], moved);
        }
    }

    [Fact]
    public void An_update_of_a_base_package_moves_every_image_of_that_platform()
    {
        var after = Updated(Platform.LinuxArm64, "base", "sudo", "9.9.9-1");
        Assert.All(Plan(RepositoryPackages, Platform.LinuxArm64).Images, i => Assert.NotEqual(i.Key, Plan(after, Platform.LinuxArm64).Get(i.Name).Key));
        Assert.All(Plan(RepositoryPackages, Platform.LinuxAmd64).Images, i => Assert.Equal(i.Key, Plan(after, Platform.LinuxAmd64).Get(i.Name).Key));
    }

    [Fact]
    public void The_installs_read_the_locked_versions_from_the_context()
    {
        var base_ = Plan(RepositoryPackages, Platform.LinuxAmd64).Get("base").Core;
        var preferences = System.Text.Encoding.UTF8.GetString(base_.Generated.Single(f => f.ContextPath == ".strata/apt/preferences").Content);
        var sudo = RepositoryPackages.For(Platform.LinuxAmd64, "base")!.Packages["sudo"];
        Assert.Contains($"Package: sudo\nPin: version {sudo.Version}\nPin-Priority: 1001", preferences);
        Assert.Empty(Plan(RepositoryPackages, Platform.LinuxAmd64).Get("k8s").Core.Generated); // k8s installs nothing from the archive
    }

    [Fact]
    public void Without_a_lock_or_with_a_stale_one_nothing_is_planned_and_the_error_says_pin()
    {
        var missing = Assert.Throws<StrataConfigException>(() => Plan(PackageLock.Empty, Platform.LinuxAmd64));
        Assert.Contains("packages.lock.json has no packages of image 'base' for linux/amd64, which Dockerfiles/Dockerfile.base installs", missing.Message);
        Assert.Contains("./build.sh --target=pin", missing.Message);

        var platformPackages = RepositoryPackages.Platforms[Platform.LinuxAmd64];
        var images = platformPackages.Images.ToDictionary();
        images["gemini"] = images["gemini"] with { Requested = ["nodejs"] }; // the Dockerfile also names npm
        var stale = Assert.Throws<StrataConfigException>(() => Plan(RepositoryPackages.With(Platform.LinuxAmd64, platformPackages with { Images = images }), Platform.LinuxAmd64));
        Assert.Contains("Dockerfiles/Dockerfile.gemini installs nodejs npm, but packages.lock.json was resolved for nodejs", stale.Message);
        Assert.Contains("the Dockerfile changed since the last pin", stale.Message);
    }

    [Fact]
    public void The_npm_tree_of_gemini_cli_is_in_the_gemini_core_context_and_key()
    {
        var gemini = Plan(RepositoryPackages, Platform.LinuxAmd64).Get("gemini").Core;
        Assert.Contains(gemini.Files, f => f.ContextPath == ".strata/npm/gemini-cli/package-lock.json");
        Assert.Contains(gemini.Files, f => f.ContextPath == ".strata/npm/gemini-cli/package.json");
    }

    [Fact]
    public void A_tool_bump_without_its_npm_tree_relocked_plans_nothing()
    {
        var tools = ToolKeyTests.Lock("3.19.1", _ => new string('1', 64));
        var bumped = new ToolLock(tools.Tools.ToDictionary(t => t.Key, t => t.Key == "gemini-cli" ? t.Value with { Version = "0.99.0" } : t.Value));
        var e = Assert.Throws<StrataConfigException>(() => BuildPlanner.Plan(GraphLoader.Load(Path.Combine(Root, "strata.yaml")), new PlanOptions
        {
            HostCa = HostCaMode.Off, Tools = ToolsFile.Load(Path.Combine(Root, "tools.yaml")), Lock = bumped, Packages = RepositoryPackages,
        }));
        Assert.Contains("locks/npm/gemini-cli/package-lock.json locks @google/gemini-cli 0.61.0, but tools.lock.json pins 0.99.0", e.Message);
    }
}
