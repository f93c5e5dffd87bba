using System.Text;
using Strata.Oci;

namespace Strata.Tests.Oci;

public sealed class DigestTests
{
    private const string Sha256 = "sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132";

    [Fact]
    public void Parses_a_registry_s_digest_and_prints_it_back()
    {
        var digest = Digest.Parse(Sha256);

        Assert.Equal(Sha256, digest.ToString());
        Assert.Equal(digest, Digest.Parse(Sha256));
        Assert.Equal("sha256:d7e12182ce18...", digest.Short);
    }

    [Fact]
    public void Of_content_is_its_sha256()
    {
        Assert.Equal("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", Digest.Of(Encoding.UTF8.GetBytes("{}")).Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132")] // no algorithm
    [InlineData("sha256:abc")]                                                    // too short to name content
    [InlineData("sha256:zz12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132")]
    [InlineData("sha256-d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132")] // a referrers tag, not a digest
    public void Rejects_what_is_not_a_digest_and_says_what_is_expected(string text)
    {
        var e = Assert.Throws<FormatException>(() => Digest.Parse(text));

        Assert.Equal($"'{text}' is not a digest: expected ALGORITHM:HEX, e.g. sha256:<64 hex digits>.", e.Message);
    }

    [Fact]
    public void An_index_whose_entry_names_no_digest_is_refused_where_it_is_read()
    {
        var index = """{"manifests":[{"mediaType":"m","digest":"latest","size":1,"platform":{"os":"linux","architecture":"amd64"}}]}""";

        var e = Assert.Throws<FormatException>(() => ImageIndex.Read(Encoding.UTF8.GetBytes(index)));

        Assert.Contains("'latest' is not a digest", e.Message);
    }
}
