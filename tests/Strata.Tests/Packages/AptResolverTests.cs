using Strata.Packages;

namespace Strata.Tests.Packages;

/// <summary>The resolution's output, read: each image's share is what its simulated step adds to its installing ancestor's.</summary>
public class AptResolverTests
{
    private static readonly IReadOnlyList<ImageInstall> Images =
    [
        new("base", new AptInstall(["jq", "sudo"], NoInstallRecommends: true)),
        new("k8s", null),
        new("gemini", new AptInstall(["nodejs"], NoInstallRecommends: true)),
    ];

    private static readonly Dictionary<string, string?> Parents = new() { ["base"] = null, ["k8s"] = "base", ["gemini"] = "k8s" };

    private const string Output = """
        @@strata-image base
        Inst libonig5 (6.9.9-1+b1 Debian:13.8/stable [amd64])
        Inst jq (1.7.1-6+deb13u4 Debian:13.8/stable, Debian-Security:13/stable-security [amd64])
        Inst sudo (1.9.16p2-3+deb13u5 Debian:13.8/stable [amd64])
        @@strata-image gemini
        Inst libonig5 (6.9.9-1+b1 Debian:13.8/stable [amd64])
        Inst jq (1.7.1-6+deb13u4 Debian:13.8/stable, Debian-Security:13/stable-security [amd64])
        Inst sudo (1.9.16p2-3+deb13u5 Debian:13.8/stable [amd64])
        Inst libc6 [2.41-12] (2.41-12+deb13u5 Debian:13.8/stable [amd64])
        Inst nodejs (20.19.2+dfsg-1+deb13u3 Debian:13.8/stable [amd64])
        @@strata-show
        Package: jq
        Version: 1.7.1-6+deb13u4
        Architecture: amd64
        SHA256: 1111111111111111111111111111111111111111111111111111111111111111
        Package: jq
        Version: 1.7.1-6+deb13u4
        Architecture: amd64
        SHA256: 1111111111111111111111111111111111111111111111111111111111111111
        Package: libonig5
        Version: 6.9.9-1+b1
        Architecture: amd64
        SHA256: 2222222222222222222222222222222222222222222222222222222222222222
        Package: sudo
        Version: 1.9.16p2-3+deb13u5
        Architecture: amd64
        SHA256: 3333333333333333333333333333333333333333333333333333333333333333
        Package: libc6
        Version: 2.41-12+deb13u5
        Architecture: amd64
        SHA256: 4444444444444444444444444444444444444444444444444444444444444444
        Package: nodejs
        Version: 20.19.2+dfsg-1+deb13u3
        Architecture: amd64
        SHA256: 5555555555555555555555555555555555555555555555555555555555555555
        """;

    [Fact]
    public void Each_image_gets_what_its_step_adds_upgrades_included()
    {
        var images = AptResolver.Parse(Output, Images, Parents);
        Assert.Equal(["base", "gemini"], images.Keys.Order());
        Assert.Equal(["jq", "libonig5", "sudo"], images["base"].Packages.Keys.Order());
        Assert.Equal(["jq", "sudo"], images["base"].Requested);
        // gemini's own share: nodejs, and the libc6 upgrade it needs; not base's packages again.
        Assert.Equal(["libc6", "nodejs"], images["gemini"].Packages.Keys.Order());
        Assert.Equal(new LockedPackage("2.41-12+deb13u5", "amd64", new string('4', 64)), images["gemini"].Packages["libc6"]);
        Assert.Equal("1.7.1-6+deb13u4", images["base"].Packages["jq"].Version);
    }

    [Fact]
    public void A_version_without_a_sha256_in_the_indexes_is_an_error()
    {
        var e = Assert.Throws<StrataConfigException>(() => AptResolver.Parse(Output.Replace("SHA256: 5555", "MD5sum: 5555"), Images, Parents));
        Assert.Contains("no sha256 for nodejs 20.19.2+dfsg-1+deb13u3", e.Message);
    }

    [Fact]
    public void The_script_simulates_each_image_with_its_ancestors_from_the_given_sources_only()
    {
        var script = AptResolver.Script(["deb http://deb.debian.org/debian trixie main"], Images, Parents);
        Assert.Contains("deb http://deb.debian.org/debian trixie main\nSTRATA_SOURCES", script);
        Assert.Contains("echo '@@strata-image base'\napt-get install -s -qq --no-install-recommends jq sudo >", script);
        Assert.Contains("echo '@@strata-image gemini'\napt-get install -s -qq --no-install-recommends jq sudo nodejs >", script);
        Assert.DoesNotContain("@@strata-image k8s", script);
        Assert.Contains("Dir::Etc::SourceParts", script); // the base OS's own sources are not read
    }
}
