using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Strata.Oci;
using Strata.Registry;
using Strata.Reproducible;
using Strata.Tests.Support.Fakes;

namespace Strata.Tests.Reproducible;

/// <summary>Strata's own push over a fake registry: the tag moves last, and a saved image that contradicts its config is refused.</summary>
public sealed class ImageUploadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-upload-unit-").FullName;
    private static readonly RegistryLocation Location = RegistryLocation.Parse("registry.example/team");
    private static readonly ImageReference Target = Location.Reference(ImageRepository.Parse("strata/app")).WithTag("app-key1");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<SavedImage> SavedAsync(params string[]? configDiffIds)
    {
        byte[][] layers = [LayerTars.Layer(new LayerTars.Entry("etc/a", "a")), LayerTars.Layer(new LayerTars.Entry("etc/b", "b"))];
        var diffIds = configDiffIds is { Length: > 0 } given ? given : layers.Select(l => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(l))).ToArray();
        var config = new JsonObject
        {
            ["architecture"] = "amd64", ["os"] = "linux",
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffIds.Select(d => (JsonNode)d).ToArray()) },
        }.ToJsonString();
        var path = Path.Combine(_dir, "saved.tar");
        await File.WriteAllBytesAsync(path, LayerTars.Saved(config, layers));
        return await SavedImage.ReadAsync(path, default);
    }

    [Fact]
    public async Task The_tag_moves_only_after_every_blob_and_the_manifest_are_in_and_a_rerun_finishes_the_push()
    {
        var fake = new FakeRegistry(Location);
        var failing = new FailingUploads(fake) { FailAtUpload = 2 };
        var saved = await SavedAsync();

        await Assert.ThrowsAsync<RegistryException>(() => new ImageUpload(null!, failing, _ => { }).PushSavedAsync(saved, Target, _dir));
        Assert.False(fake.Has("app-key1"));
        Assert.Empty(fake.PushedManifests);

        var pushed = await new ImageUpload(null!, fake, _ => { }).PushSavedAsync(saved, Target, _dir);
        Assert.Equal(1, pushed.Uploaded); // the first layer was in already
        Assert.True(fake.Has("app-key1"));
        var manifest = (await fake.FindManifestAsync(Target))!;
        Assert.Equal(ImageManifest.MediaType, manifest.MediaType);
        Assert.Equal(pushed.Manifest, manifest.Digest);
    }

    [Fact]
    public async Task A_layer_that_is_not_the_one_its_config_names_is_refused_and_nothing_is_tagged()
    {
        var fake = new FakeRegistry(Location);
        var wrong = "sha256:" + new string('0', 64);
        var saved = await SavedAsync(wrong, wrong);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new ImageUpload(null!, fake, _ => { }).PushSavedAsync(saved, Target, _dir));
        Assert.Contains($"the image's config names {wrong}", error.Message);
        Assert.False(fake.Has("app-key1"));
    }

    /// <summary>The fake registry, with its Nth streamed blob upload failing as a dropped connection would.</summary>
    private sealed class FailingUploads(FakeRegistry inner) : DelegatingRegistry(inner)
    {
        private int _uploads;
        public int FailAtUpload { get; init; }

        public override Task<bool> PushBlobAsync(ImageReference repository, Digest digest, long size, Func<Stream> open, CancellationToken ct = default) =>
            ++_uploads == FailAtUpload
                ? throw new RegistryException($"registry.example did not answer for {digest} after 3 retries (connection reset).")
                : base.PushBlobAsync(repository, digest, size, open, ct);
    }
}
