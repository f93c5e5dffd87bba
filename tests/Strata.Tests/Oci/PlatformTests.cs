using Strata.Oci;

namespace Strata.Tests.Oci;

public sealed class PlatformTests
{
    [Theory]
    [InlineData("linux/amd64", "amd64", null, "linux/amd64")]
    [InlineData("linux/arm64", "arm64", null, "linux/arm64")]
    [InlineData("linux/arm64/v8", "arm64", null, "linux/arm64")]
    [InlineData("linux/aarch64", "arm64", null, "linux/arm64")]
    [InlineData("linux/x86_64", "amd64", null, "linux/amd64")]
    [InlineData("linux/arm/v7", "arm", "v7", "linux/arm/v7")]
    [InlineData("Linux/AMD64", "amd64", null, "linux/amd64")]
    public void Parses_and_normalises_like_containerd(string text, string architecture, string? variant, string printed)
    {
        var platform = Platform.Parse(text);

        Assert.Equal(architecture, platform.Architecture);
        Assert.Equal(variant, platform.Variant);
        Assert.Equal(printed, platform.ToString());
        Assert.Equal(Platform.Parse(printed), platform);
    }

    [Theory]
    [InlineData("amd64", "OS/ARCH")]
    [InlineData("linux/", "OS/ARCH")]
    [InlineData("linux/amd64/v1/x", "OS/ARCH")]
    [InlineData("windows/amd64", "Linux images only")]
    [InlineData("linux/sparc", "unknown architecture 'sparc'")]
    public void Rejects_malformed_and_unknown_platforms_with_the_fix(string text, string why)
    {
        var e = Assert.Throws<FormatException>(() => Platform.Parse(text));

        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void The_host_platform_is_a_known_linux_platform()
    {
        Assert.Equal("linux", Platform.Host.Os);
        Assert.Contains(Platform.Host.Architecture, Platform.KnownArchitectures);
    }
}
