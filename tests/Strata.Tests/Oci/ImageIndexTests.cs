using System.Text;
using System.Text.Json;
using Strata.Oci;

namespace Strata.Tests.Oci;

public sealed class ImageIndexTests
{
    private const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    private static readonly PlatformManifest Amd64 = new(Platform.LinuxAmd64, DockerManifest, Digest.Parse("sha256:" + new string('a', 64)), 1234);
    private static readonly PlatformManifest Arm64 = new(Platform.LinuxArm64, DockerManifest, Digest.Parse("sha256:" + new string('b', 64)), 1300);

    [Fact]
    public void An_index_lists_each_platforms_manifest_as_the_oci_spec_writes_it()
    {
        var body = ImageIndex.Assemble([Amd64, Arm64]);

        using var doc = JsonDocument.Parse(body);
        Assert.Equal(2, doc.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("application/vnd.oci.image.index.v1+json", doc.RootElement.GetProperty("mediaType").GetString());
        var entries = doc.RootElement.GetProperty("manifests").EnumerateArray().ToList();
        Assert.Equal(["amd64", "arm64"], entries.Select(e => e.GetProperty("platform").GetProperty("architecture").GetString()));
        Assert.All(entries, e => Assert.Equal("linux", e.GetProperty("platform").GetProperty("os").GetString()));
        Assert.Equal(1300, entries[1].GetProperty("size").GetInt64());
        Assert.Equal(Arm64.Digest.Value, entries[1].GetProperty("digest").GetString());
        Assert.Equal([Amd64, Arm64], ImageIndex.Read(body));
    }

    [Fact]
    public void The_same_manifests_give_the_same_bytes_and_a_changed_platform_changes_them()
    {
        Assert.Equal(ImageIndex.Assemble([Amd64, Arm64]), ImageIndex.Assemble([Amd64, Arm64]));
        Assert.NotEqual(ImageIndex.Assemble([Amd64, Arm64]), ImageIndex.Assemble([Amd64, Arm64 with { Digest = Digest.Parse("sha256:" + new string('c', 64)) }]));
        Assert.DoesNotContain("variant", Encoding.UTF8.GetString(ImageIndex.Assemble([Amd64])));
        Assert.Contains("\"variant\": \"v7\"", Encoding.UTF8.GetString(ImageIndex.Assemble([Amd64 with { Platform = Platform.Parse("linux/arm/v7") }])));
    }

    [Theory]
    [InlineData("twice", "listed twice")]
    [InlineData("nested", "itself an index")]
    [InlineData("digest", "not a sha256 digest")]
    [InlineData("empty", "at least one")]
    public void Refuses_what_is_not_one_image_per_platform(string what, string why)
    {
        IReadOnlyList<PlatformManifest> entries = what switch
        {
            "twice" => [Amd64, Arm64 with { Platform = Platform.Parse("linux/x86_64") }],
            "nested" => [Amd64 with { MediaType = ImageIndex.MediaType }],
            "digest" => [Amd64 with { Digest = Digest.Parse("sha512:" + new string('d', 128)) }],
            _ => [],
        };

        var e = Assert.Throws<ArgumentException>(() => ImageIndex.Assemble(entries));

        Assert.Contains(why, e.Message);
    }
}
