using Strata.Oci;

namespace Strata.Tests.Oci;

public sealed class ImageRepositoryTests
{
    [Theory]
    [InlineData("strata/workstation")]
    [InlineData("debian")]
    [InlineData("localhost:5000/acme/x")]
    [InlineData("ghcr.io/acme/strata/workstation")]
    public void Parses_a_repository_and_prints_it_back_as_written(string text)
    {
        var repository = ImageRepository.Parse(text);

        Assert.Equal(text, repository.ToString());
        Assert.Equal(text, repository.Name);
        Assert.Equal(repository, ImageRepository.Parse(text));
        Assert.Null(repository.Reference.Tag);
        Assert.Null(repository.Reference.Digest);
        Assert.Equal(text + ":base", repository.Reference.WithTag("base").ToString());
    }

    [Theory]
    [InlineData("strata/workstation:base", "it has a tag")]
    [InlineData("strata/workstation@sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132", "it has a digest")]
    [InlineData("Strata/Workstation", "must be lower case")]
    [InlineData("", "it is empty")]
    [InlineData("strata//workstation", "is not lower-case letters and digits")]
    public void Rejects_what_is_not_a_bare_repository_and_says_why(string text, string why)
    {
        var e = Assert.Throws<ImageReferenceException>(() => ImageRepository.Parse(text));

        Assert.Contains(why, e.Message);
        Assert.False(ImageRepository.TryParse(text, out _));
    }
}
