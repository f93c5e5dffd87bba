using Strata.Graph;
using Strata.Images;
using Strata.Oci;
using Strata.Tests.Support;
using Strata.Tools;

namespace Strata.Tests.Keys;

/// <summary>
/// A pinned tool's version and sha256 are inputs of the keys of the images that carry it. The GitHub-released
/// binaries ride on the thin layer (with the dotfiles) of the image that installs them and of its children, never
/// on a core: a bump rebuilds no core. npm tools are installed by a RUN of their image's core.
/// </summary>
public class ToolKeyTests
{
    private static readonly string Root = RepositoryRoot.Find();

    private static ToolLock Lock(string helmVersion, string helmSha) => Lock(helmVersion, _ => helmSha);

    /// <summary>A lock of the repository's tools.yaml: helm at <paramref name="helmVersion"/> with a sha256 per architecture, the others fixed.</summary>
    internal static ToolLock Lock(string helmVersion, Func<string, string> helmSha)
    {
        var tools = ToolsFile.Load(Path.Combine(Root, "tools.yaml"));
        var entries = tools.Tools.ToDictionary(t => t.Name, t => t is NpmTool
            ? new LockedTool("0.61.0", "v0.61.0", new Dictionary<string, LockedAsset>())
            : new LockedTool("1.0.0", "v1.0.0", ToolSpec.Architectures.ToDictionary(a => a,
                a => new LockedAsset($"https://example.invalid/{t.Name}/{a}", new string('a', 64)))));
        entries["helm"] = new LockedTool(helmVersion, "v" + helmVersion, ToolSpec.Architectures.ToDictionary(a => a,
            a => new LockedAsset($"https://get.helm.sh/helm-v{helmVersion}-linux-{a}.tar.gz", helmSha(a))));
        return new ToolLock(entries);
    }

    private static BuildPlan Plan(ToolLock toolLock, Platform? platform = null) =>
        BuildPlanner.Plan(GraphLoader.Load(Path.Combine(Root, "strata.yaml")), new PlanOptions
        {
            HostCa = HostCaMode.Off,
            Tools = ToolsFile.Load(Path.Combine(Root, "tools.yaml")),
            Lock = toolLock,
            Packages = PackageKeyTests.RepositoryPackages,
            Platform = platform ?? Platform.LinuxAmd64,
        });

    [Fact]
    public void An_arm64_only_sha256_change_moves_only_the_arm64_keys()
    {
        var before = Lock("3.19.1", _ => new string('1', 64));
        var after = Lock("3.19.1", arch => arch == "arm64" ? new string('4', 64) : new string('1', 64));

        foreach (var image in new[] { "base", "k8s", "gemini", "latest" })
            Assert.Equal(Plan(before, Platform.LinuxAmd64).Get(image).Key, Plan(after, Platform.LinuxAmd64).Get(image).Key);
        Assert.Equal(Plan(before, Platform.LinuxArm64).Get("base").Key, Plan(after, Platform.LinuxArm64).Get("base").Key);
        foreach (var image in new[] { "k8s", "gemini", "latest" })
            Assert.NotEqual(Plan(before, Platform.LinuxArm64).Get(image).Key, Plan(after, Platform.LinuxArm64).Get(image).Key);
    }

    [Fact]
    public void Every_key_covers_its_platform_and_the_moving_tag_names_a_foreign_one()
    {
        var toolLock = Lock("3.19.1", new string('1', 64));
        var amd64 = Plan(toolLock, Platform.LinuxAmd64);
        var arm64 = Plan(toolLock, Platform.LinuxArm64);

        foreach (var image in amd64.Images)
        {
            var other = arm64.Get(image.Name);
            Assert.NotEqual(image.Core.Key, other.Core.Key);
            Assert.NotEqual(image.Key, other.Key);
            Assert.Equal(Platform.LinuxArm64, other.Platform);
        }
        // Without any pinned tool (whose URLs name the architecture), the platform alone still tells the keys apart.
        var graph = GraphLoader.Load(Path.Combine(Root, "strata.yaml"));
        Assert.NotEqual(BuildPlanner.Plan(graph, new PlanOptions { HostCa = HostCaMode.Off, Packages = PackageKeyTests.RepositoryPackages, Platform = Platform.LinuxAmd64 }).Get("base").Key,
            BuildPlanner.Plan(graph, new PlanOptions { HostCa = HostCaMode.Off, Packages = PackageKeyTests.RepositoryPackages, Platform = Platform.LinuxArm64 }).Get("base").Key);
        var native = Platform.Host == Platform.LinuxArm64 ? arm64 : amd64;
        var foreign = native == arm64 ? amd64 : arm64;
        Assert.Equal("base", native.Get("base").MovingTag.Tag);
        Assert.Equal($"base-{foreign.Platform.Architecture}", foreign.Get("base").MovingTag.Tag);
    }

    [Fact]
    public void Bumping_helm_changes_the_keys_of_k8s_gemini_and_latest_but_not_base()
    {
        var before = Plan(Lock("3.19.1", new string('1', 64)));
        var after = Plan(Lock("3.19.2", new string('2', 64)));

        Assert.Equal(before.Get("base").Key, after.Get("base").Key);
        foreach (var image in new[] { "k8s", "gemini", "latest" })
            Assert.NotEqual(before.Get(image).Key, after.Get(image).Key);
    }

    [Fact]
    public void Bumping_a_binary_tool_changes_no_core_key_so_no_package_install_runs_again()
    {
        var before = Plan(Lock("3.19.1", new string('1', 64)));
        var after = Plan(Lock("3.19.2", new string('2', 64)));

        foreach (var image in before.Images)
            Assert.Equal(image.Core.Key, after.Get(image.Name).Core.Key);
    }

    [Fact]
    public void Each_thin_layer_carries_the_binaries_of_its_image_and_ancestors_and_no_core_carries_any()
    {
        var plan = Plan(Lock("3.19.1", new string('1', 64)));

        Assert.All(plan.Images, i => Assert.Empty(i.Core.Tools));
        Assert.Equal(["infisical", "sops", "yazi"], plan.Get("base").Published.Tools.Select(t => t.Name));
        string[] k8s = ["helm", "infisical", "k9s", "kubectl", "sops", "talosctl", "yazi"];
        Assert.Equal(k8s, plan.Get("k8s").Published.Tools.Select(t => t.Name));
        Assert.Equal(k8s, plan.Get("latest").Published.Tools.Select(t => t.Name));
        Assert.Contains(BuildPlanner.ToolsContextDirectory, plan.Get("latest").Published.EmptyDirectories);
    }

    [Fact]
    public void A_changed_sha256_alone_changes_the_key()
    {
        var before = Plan(Lock("3.19.1", new string('1', 64)));
        var after = Plan(Lock("3.19.1", new string('3', 64)));
        Assert.NotEqual(before.Get("k8s").Key, after.Get("k8s").Key);
    }

    [Fact]
    public void The_locked_version_of_an_npm_tool_reaches_its_dockerfile_as_a_build_arg()
    {
        var plan = Plan(Lock("3.19.1", new string('1', 64)));
        Assert.Equal("0.61.0", plan.Get("gemini").Core.BuildArgs["GEMINI_CLI_VERSION"]);
        Assert.False(plan.Get("k8s").Core.BuildArgs.ContainsKey("HELM_VERSION")); // a binary: copied in the thin layer, no RUN needs it
    }

    [Fact]
    public void An_unpinned_tool_is_a_clear_error_naming_the_tool_the_image_and_the_fix()
    {
        var e = Assert.Throws<StrataConfigException>(() => Plan(ToolLock.Empty));
        Assert.Contains("has no entry for", e.Message);
        Assert.Contains("--target=pin", e.Message);
    }
}
