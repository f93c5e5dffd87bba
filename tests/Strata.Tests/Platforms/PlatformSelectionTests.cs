using Strata.Oci;
using Strata.Platforms;

namespace Strata.Tests.Platforms;

public sealed class PlatformSelectionTests
{
    private static readonly IReadOnlyList<Platform> Declared = [Platform.LinuxAmd64, Platform.LinuxArm64];

    [Theory]
    [InlineData("native", "linux/amd64")]
    [InlineData("all", "linux/amd64,linux/arm64")]
    [InlineData("linux/arm64", "linux/arm64")]
    [InlineData("linux/aarch64, linux/amd64", "linux/amd64,linux/arm64")] // strata.yaml's order
    [InlineData("linux/arm64,linux/arm64/v8", "linux/arm64")]
    public void Resolves_to_declared_platforms_in_the_declared_order(string text, string expected)
    {
        var platforms = PlatformSelection.Parse(text).Resolve(Declared, Platform.LinuxAmd64, "strata.yaml");

        Assert.Equal(expected, string.Join(",", platforms));
    }

    [Theory]
    [InlineData("arm64", "OS/ARCH")]
    [InlineData("linux/sparc", "unknown architecture")]
    [InlineData("linux/amd64,", "OS/ARCH")]
    public void A_malformed_selection_says_what_it_takes(string text, string why)
    {
        var e = Assert.Throws<FormatException>(() => PlatformSelection.Parse(text));

        Assert.Contains(why, e.Message);
        Assert.Contains("native", e.Message);
    }

    [Fact]
    public void A_platform_strata_yaml_does_not_declare_is_an_error_naming_the_declared_ones()
    {
        var e = Assert.Throws<StrataConfigException>(() =>
            PlatformSelection.Parse("linux/arm64").Resolve([Platform.LinuxAmd64], Platform.LinuxAmd64, "strata.yaml"));
        Assert.Contains("linux/arm64 is not among the platforms strata.yaml declares (linux/amd64)", e.Message);

        var native = Assert.Throws<StrataConfigException>(() =>
            new PlatformSelection.Native().Resolve([Platform.LinuxAmd64], Platform.LinuxArm64, "strata.yaml"));
        Assert.Contains("the engine's platform linux/arm64", native.Message);
    }
}
