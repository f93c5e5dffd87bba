using Strata.Engine;
using Strata.Oci;

namespace Strata.Tests.Oci;

public sealed class ImageIdTests
{
    private const string Id = "sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132";

    [Fact]
    public void Parses_the_engine_s_id_and_prints_it_back()
    {
        var id = ImageId.Parse(Id);

        Assert.Equal(Id, id.ToString());
        Assert.Equal(Id[7..], id.Hex);
        Assert.Equal(id, ImageId.Parse(Id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("d7e12182ce18")]                       // a short id: the engine takes it, Strata never keeps one
    [InlineData("sha256:D7E12182CE18B85B93007C1DEDF31F2D29E01CCF3182CC4017C709B6259BC132")]
    [InlineData("debian:trixie-slim")]
    public void Rejects_what_is_not_a_full_id(string text)
    {
        Assert.Throws<FormatException>(() => ImageId.Parse(text));
        Assert.False(ImageId.TryParse(text, out _));
    }

    [Fact]
    public void A_locator_names_an_image_by_reference_or_by_id()
    {
        ImageLocator byTag = ImageReference.Parse("strata/workstation:base");
        ImageLocator byDigest = ImageReference.Parse("strata/workstation@" + Id);
        ImageLocator byId = ImageId.Parse(Id);

        Assert.True(byTag.IsTag);
        Assert.False(byDigest.IsTag);
        Assert.False(byId.IsTag);
        Assert.Equal("strata/workstation:base", byTag.ToString());
        Assert.Equal(Id, byId.ToString());
        Assert.Equal(byTag, (ImageLocator)ImageReference.Parse("strata/workstation:base"));
    }
}
