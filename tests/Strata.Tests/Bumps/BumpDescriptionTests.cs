using Strata.Bumps;
using Strata.Graph;
using Strata.Oci;
using Strata.Packages;
using Strata.Tests.Support;
using Strata.Tools;

namespace Strata.Tests.Bumps;

/// <summary>What the bump pull request tells its reviewer, per image and platform, on the real strata.yaml (amd64 and arm64).</summary>
public class BumpDescriptionTests
{
    private static readonly string Root = RepositoryRoot.Find();
    private static readonly ImageGraph Graph = GraphLoader.Load(Path.Combine(Root, "strata.yaml"));
    private static readonly ToolSet Tools = ToolsFile.Load(Path.Combine(Root, "tools.yaml"));

    private static ToolLock Lock(string helmVersion, Func<string, string> helmSha) => Keys.ToolKeyTests.Lock(helmVersion, helmSha);

    [Fact]
    public void A_bump_of_the_arm64_download_alone_lists_only_arm64_images_as_rebuilt()
    {
        var before = Lock("3.19.1", _ => new string('1', 64));
        var after = Lock("3.19.1", arch => arch == "arm64" ? new string('4', 64) : new string('1', 64));

        var (change, keep) = BumpDescription.Images(Graph, Tools, before, after, Keys.PackageKeyTests.RepositoryPackages, Keys.PackageKeyTests.RepositoryPackages);

        Assert.Equal(["k8s (linux/arm64)", "gemini (linux/arm64)", "latest (linux/arm64)"], change);
        Assert.Equal(["base (linux/amd64, linux/arm64)", "k8s (linux/amd64)", "gemini (linux/amd64)", "latest (linux/amd64)"], keep);
    }

    [Fact]
    public void Each_image_lists_the_changed_tools_it_carries_its_ancestors_included()
    {
        var before = Lock("3.19.1", _ => new string('1', 64));
        var after = Lock("3.19.2", _ => new string('2', 64));

        var perImage = BumpDescription.ToolsPerImage(Graph, Tools, before, after);

        Assert.Equal(["k8s", "gemini", "latest"], perImage.Select(i => i.Image));
        Assert.All(perImage, i => Assert.Equal(["helm 3.19.1 -> 3.19.2"], i.Tools));
    }

    [Fact]
    public void A_security_update_of_a_package_is_a_table_per_image_and_platform_with_its_cves_and_moves_only_its_images()
    {
        var packages = Keys.PackageKeyTests.RepositoryPackages;
        var amd64 = packages.Platforms[Platform.LinuxAmd64];
        var gemini = amd64.Images["gemini"];
        var nodejs = gemini.Packages["nodejs"];
        var updated = nodejs with { Version = nodejs.Version + "+fix1", Sha256 = new string('e', 64) };
        var images = amd64.Images.ToDictionary();
        images["gemini"] = gemini with { Packages = new Dictionary<string, LockedPackage>(gemini.Packages) { ["nodejs"] = updated } };
        var after = packages.With(Platform.LinuxAmd64, amd64 with { Images = images });
        var result = new PackagePinResult(after, packages, PackageLock.Changes(packages, after), [])
        {
            Changelogs = new Dictionary<(string, string), ChangelogEntry>
            {
                [("nodejs", updated.Version)] = new(["* Fix CVE-2026-0001: a | in a header."], ["CVE-2026-0001"]),
            },
        };
        var tools = Lock("3.19.1", _ => new string('1', 64));

        var table = BumpDescription.PackageTables(result);
        Assert.Equal($"#### `gemini` (linux/amd64)\n\n| Package | Version | Debian changelog |\n|---|---|---|\n" +
                     $"| nodejs | {nodejs.Version} -> {updated.Version} | **CVE-2026-0001**: * Fix CVE-2026-0001: a \\| in a header. |\n\n", table);
        Assert.Equal("Bump 1 Debian package (1 with CVE fixes)", BumpDescription.Title(tools, tools, result));
        var (change, keep) = BumpDescription.Images(Graph, Tools, tools, tools, packages, after);
        Assert.Equal(["gemini (linux/amd64)", "latest (linux/amd64)"], change);
        Assert.Contains("base (linux/amd64, linux/arm64)", keep);
    }
}
