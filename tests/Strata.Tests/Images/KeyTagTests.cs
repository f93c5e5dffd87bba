using Strata.Images;

namespace Strata.Tests.Images;

public sealed class KeyTagTests
{
    private const string Key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Proof = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    [Fact]
    public void Spells_every_key_tag_with_the_key_s_first_12()
    {
        Assert.Equal("base-core-0123456789ab", KeyTag.Core("base", Key));
        Assert.Equal("base-0123456789ab", KeyTag.Published("base", Key));
        Assert.Equal("base-0123456789ab-proven-fedcba987654", KeyTag.Proven(KeyTag.Published("base", Key), Proof));
    }

    [Fact]
    public void The_same_stage_under_another_key_keeps_everything_but_the_key()
    {
        Assert.Equal("k8s-core-fedcba987654", KeyTag.WithKey(KeyTag.Core("k8s", Key), Proof));
        Assert.Equal("k8s-core-", KeyTag.WithoutKey(KeyTag.Core("k8s", Key)));
    }

    [Theory]
    [InlineData("base-core-0123456789ab", true)]
    [InlineData("base-0123456789ab", true)]
    [InlineData("base", false)]                    // a moving tag
    [InlineData("base-fedcba987654", false)]       // another key
    public void Knows_a_key_tag_of_a_key(string tag, bool carries) => Assert.Equal(carries, KeyTag.Carries(tag, Key));
}
