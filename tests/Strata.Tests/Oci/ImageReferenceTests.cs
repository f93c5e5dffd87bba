using Strata.Oci;

namespace Strata.Tests.Oci;

/// <summary>Real-world references, parsed as the docker client reads them, and printed back unchanged.</summary>
public sealed class ImageReferenceTests
{
    private const string Sha = "sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132";

    [Theory]
    // text, domain, path, tag, digest, registry, remote name
    [InlineData("debian", null, "debian", null, null, "docker.io", "library/debian")]
    [InlineData("debian:trixie-slim", null, "debian", "trixie-slim", null, "docker.io", "library/debian")]
    [InlineData("debian:trixie-slim@" + Sha, null, "debian", "trixie-slim", Sha, "docker.io", "library/debian")]
    [InlineData("strata/workstation:base-0123456789ab", null, "strata/workstation", "base-0123456789ab", null, "docker.io", "strata/workstation")]
    [InlineData("docker.io/library/debian:12", "docker.io", "library/debian", "12", null, "docker.io", "library/debian")]
    [InlineData("ghcr.io/acme/strata/workstation:k8s", "ghcr.io", "acme/strata/workstation", "k8s", null, "ghcr.io", "acme/strata/workstation")]
    [InlineData("localhost:5000/x:y@" + Sha, "localhost:5000", "x", "y", Sha, "localhost:5000", "x")]
    [InlineData("localhost/x", "localhost", "x", null, null, "localhost", "x")]
    [InlineData("127.0.0.1:41234/ns/strata/workstation", "127.0.0.1:41234", "ns/strata/workstation", null, null, "127.0.0.1:41234", "ns/strata/workstation")]
    [InlineData("[::1]:5000/a/b:c", "[::1]:5000", "a/b", "c", null, "[::1]:5000", "a/b")]
    [InlineData("registry.example.com:443/team/img__x.y-z:v1.2.3_rc", "registry.example.com:443", "team/img__x.y-z", "v1.2.3_rc", null, "registry.example.com:443", "team/img__x.y-z")]
    [InlineData("ubuntu@" + Sha, null, "ubuntu", null, Sha, "docker.io", "library/ubuntu")]
    public void Parses_real_references_and_prints_them_back(string text, string? domain, string path, string? tag, string? digest,
        string registry, string remoteName)
    {
        var reference = ImageReference.Parse(text);

        Assert.Equal(new ImageReference(domain, path, tag, digest), reference);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(remoteName, reference.RemoteName);
        Assert.Equal(text, reference.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData(" debian", "white space")]
    [InlineData("Debian:12", "lower case")]
    [InlineData("strata/Workstation", "lower case")]
    [InlineData("debian:", "tag ''")]
    [InlineData("debian:-x", "tag '-x'")]
    [InlineData("debian:a/b", "registry host 'debian:a'")]
    [InlineData("debian@sha256:xyz", "digest")]
    [InlineData("localhost:5000/", "no repository")]
    [InlineData("a//b", "path component ''")]
    [InlineData("a--/b", "path component 'a--'")]
    [InlineData("host:port/x", "registry host 'host:port'")]
    public void Rejects_what_the_docker_client_rejects_and_says_why(string text, string why)
    {
        var e = Assert.Throws<ImageReferenceException>(() => ImageReference.Parse(text));

        Assert.Contains(why, e.Message);
        Assert.Contains("Expected [HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST]", e.Message);
        Assert.False(ImageReference.TryParse(text, out _));
    }

    [Fact]
    public void A_tag_after_a_registry_port_is_the_tag_and_a_port_alone_is_not()
    {
        Assert.Null(ImageReference.Parse("localhost:5000/x").Tag);
        Assert.Equal("latest", ImageReference.Parse("localhost:5000/x").TagOrLatest);
        Assert.Equal("5000", ImageReference.Parse("x:5000").Tag);
    }

    [Fact]
    public void Derived_references_keep_the_registry_and_drop_or_set_what_they_say()
    {
        var pinned = ImageReference.Parse("127.0.0.1:5000/ns/img:base@" + Sha);

        Assert.Equal("127.0.0.1:5000/ns/img:other", pinned.WithTag("other").ToString());
        Assert.Equal("127.0.0.1:5000/ns/img:base@" + Sha, ImageReference.Parse("127.0.0.1:5000/ns/img:base").WithDigest(Sha).ToString());
        Assert.Equal("ghcr.io/acme/img:base@" + Sha, pinned.InRepository("ghcr.io/acme/img").ToString());
        Assert.Throws<ImageReferenceException>(() => pinned.WithTag("no/slash"));
        Assert.Throws<ImageReferenceException>(() => pinned.WithDigest("md5"));
    }
}
