using Strata.Oci;
using System.Text;
using Strata.Registry;
using Strata.Tests.Support;

namespace Strata.Tests.Registry;

/// <summary>Strata's registry calls against a real registry (distribution 2.8) on 127.0.0.1.</summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
[Trait("Lane", "registry")] // (a release or a push into a registry: the third lane, see src/Strata.TestRun/TestLanes.cs)
public sealed class RegistryClientTests(EngineFixture engine) : IAsyncLifetime
{
    private static readonly ImageRepository Repository = ImageRepository.Parse("strata/workstation");
    private const string Key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static readonly RegistryClientOptions Fast = new() { MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(50), RequestTimeout = TimeSpan.FromSeconds(5) };
    private RegistryServer _registry = null!;
    private readonly List<string> _localTags = [];

    public async Task InitializeAsync() => _registry = await RegistryServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var tag in _localTags) await engine.Docker.Images.RemoveImageAsync(Strata.Oci.ImageReference.Parse(tag));
        await _registry.DisposeAsync();
    }

    private RegistryLocation Location => RegistryLocation.Parse($"{_registry.Host}/team");

    /// <summary>Builds a one-label image on the chain's OS and pushes it as TAG.</summary>
    private async Task PushAsync(string tag)
    {
        var name = $"{Location.ImageName(Repository)}:{tag}";
        await EngineFixture.BuildDockerfileAsync(engine.Docker, name, $"FROM {engine.BaseOsImage}\nLABEL dev.strata.key={Key}\nCMD [\"true\"]\n");
        _localTags.Add(name);
        await engine.Docker.Images.PushAsync(ImageReference.Parse(name), null, _ => { });
    }

    [Fact]
    public async Task A_pushed_image_is_found_with_its_digest_and_key_label_and_a_missing_tag_is_absent()
    {
        await PushAsync("base-0123456789ab");
        using var client = new RegistryClient(Location, RegistryLogin.Anonymous, Fast);

        var found = await client.FindAsync(client.At(Repository, "base-0123456789ab"));

        Assert.NotNull(found);
        Assert.StartsWith("sha256:", found.Digest.Value);
        Assert.Equal(Key, found.Labels["dev.strata.key"]);
        Assert.Equal($"{_registry.Host}/team/strata/workstation:base-0123456789ab", found.Name.ToString());
        Assert.Equal($"{_registry.Host}/team/strata/workstation@{found.Digest}", found.Pinned.ToString());
        Assert.True(found.Size > 0);
        Assert.Null(await client.FindAsync(client.At(Repository, "base-ffffffffffff")));
    }

    [Fact]
    public async Task Tagging_points_a_new_tag_at_the_same_manifest_without_uploading_it_again()
    {
        await PushAsync("base-0123456789ab");
        using var client = new RegistryClient(Location, RegistryLogin.Anonymous, Fast);
        var source = await client.FindAsync(client.At(Repository, "base-0123456789ab"));

        await client.TagAsync(client.At(Repository, source!.Digest), client.At(Repository, "base"));

        var moved = await client.FindAsync(client.At(Repository, "base"));
        Assert.Equal(source.Digest, moved!.Digest);
    }

    [Fact]
    public async Task A_pushed_blob_and_an_artefact_manifest_naming_it_read_back_byte_for_byte_and_an_unknown_one_is_absent()
    {
        using var client = new RegistryClient(Location, RegistryLogin.Anonymous, Fast);
        var config = Encoding.UTF8.GetBytes("{}");
        var layer = Encoding.UTF8.GetBytes("{\"hello\":\"world\"}");
        var configDigest = await client.PushBlobAsync(client.At(Repository), config);
        var layerDigest = await client.PushBlobAsync(client.At(Repository), layer);
        Assert.Equal(layerDigest, await client.PushBlobAsync(client.At(Repository), layer)); // already there: not uploaded again
        const string mediaType = "application/vnd.oci.image.manifest.v1+json";
        var manifest = Encoding.UTF8.GetBytes($$"""
            {"schemaVersion":2,"mediaType":"{{mediaType}}","artifactType":"application/vnd.strata.test+json",
             "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{{configDigest}}","size":{{config.Length}}},
             "layers":[{"mediaType":"application/json","digest":"{{layerDigest}}","size":{{layer.Length}}}]}
            """);

        var digest = (await client.PushManifestAsync(client.At(Repository, "artefact"), mediaType, manifest)).ToString();

        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(manifest)), digest);
        var read = await client.FindManifestAsync(client.At(Repository, digest));
        Assert.Equal(manifest, read!.Body);
        Assert.Equal(mediaType, read.MediaType);
        Assert.Equal(digest, (await client.FindManifestAsync(client.At(Repository, "artefact")))!.Digest.Value);
        Assert.Null(await client.FindManifestAsync(client.At(Repository, "no-such-tag")));
    }

    [Fact]
    public async Task A_registry_that_does_not_answer_is_an_error_naming_it_never_absent()
    {
        using var client = new RegistryClient(Location, RegistryLogin.Anonymous, Fast);
        await _registry.KillAsync();

        var e = await Assert.ThrowsAsync<RegistryException>(() => client.FindAsync(client.At(Repository, "base-0123456789ab")));

        Assert.Contains($"{_registry.Host} did not answer for {_registry.Host}/team/strata/workstation:base-0123456789ab", e.Message);
    }

    [Fact]
    public async Task With_a_login_a_wrong_password_is_a_clear_error_that_never_shows_the_password()
    {
        await using var locked = await RegistryServer.StartAsync("ci", "right-password-1");
        var location = RegistryLocation.Parse($"{locked.Host}/team");

        using var anonymous = new RegistryClient(location, RegistryLogin.Anonymous, Fast);
        var none = await Assert.ThrowsAsync<RegistryAuthException>(() => anonymous.FindAsync(anonymous.At(Repository, "base-0123456789ab")));
        Assert.Contains("needs a login", none.Message);

        using var wrong = new RegistryClient(location, RegistryLogin.Of(new RegistryCredentials("ci", "wrong-password-2", "STRATA_REGISTRY_PASSWORD")), Fast);
        var e = await Assert.ThrowsAsync<RegistryAuthException>(() => wrong.FindAsync(wrong.At(Repository, "base-0123456789ab")));
        Assert.Contains($"{locked.Host} refused to look up {locked.Host}/team/strata/workstation:base-0123456789ab (401", e.Message);
        Assert.Contains("with the credentials of ci (from STRATA_REGISTRY_PASSWORD)", e.Message);
        Assert.DoesNotContain("wrong-password-2", e.ToString());

        using var right = new RegistryClient(location, RegistryLogin.Of(new RegistryCredentials("ci", "right-password-1", "test")), Fast);
        Assert.Null(await right.FindAsync(right.At(Repository, "base-0123456789ab"))); // logged in: 404 is absent
    }
}
