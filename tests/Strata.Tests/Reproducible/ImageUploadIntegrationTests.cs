using System.Diagnostics;
using System.Text.Json;
using Strata.Oci;
using Strata.Registry;
using Strata.Reproducible;
using Strata.Tests.Support;

namespace Strata.Tests.Reproducible;

/// <summary>
/// Strata's own push of a normalised image (issue 31) on the real engine and real registries: two cold builds pushed
/// into two registries give one manifest and the same blobs; skopeo reads what was pushed, and the engine pulls it by
/// digest as the image it was.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class ImageUploadIntegrationTests(EngineFixture engine) : IAsyncLifetime
{
    private readonly string _repository = "strata-upload-test/image-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-upload-test-").FullName;
    private readonly List<RegistryServer> _registries = [];
    private readonly List<ImageReference> _pulled = [];

    private ImageReference Local(string tag) => ImageReference.Parse($"{_repository}:{tag}");

    public Task InitializeAsync() => TinyShellImage.ImportAsync(engine.Docker, Local("tiny"));

    public async Task DisposeAsync()
    {
        foreach (var pulled in _pulled)
        {
            try { await engine.Docker.Images.RemoveImageAsync(pulled, force: false); }
            catch (Strata.Engine.EngineException) { }
        }
        await engine.RemoveRepositoryAsync(_repository);
        foreach (var registry in _registries) await registry.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A cold build of a small image on the tiny one (its files' times are the build's), normalised.</summary>
    private async Task<string> BuildNormalisedAsync(string tag)
    {
        await EngineFixture.BuildDockerfileAsync(engine.Docker, Local(tag).ToString(), $"""
            FROM {Local("tiny")}
            RUN echo hello > /hello && echo data > /state
            RUN echo second > /second
            """);
        return (await new ImageNormaliser(engine.Docker.Archives, engine.Docker.Images, _ => { }).NormaliseAsync(Local(tag))).Id;
    }

    private async Task<RegistryClient> RegistryAsync()
    {
        var server = await RegistryServer.StartAsync();
        _registries.Add(server);
        return new RegistryClient(RegistryLocation.Parse($"{server.Host}/team"), RegistryLogin.Anonymous);
    }

    private static ImageReference Remote(RegistryClient registry, string repository, string tag) =>
        registry.Location.Reference(ImageRepository.Parse(repository)).WithTag(tag);

    [Fact]
    public async Task Two_cold_builds_pushed_into_two_registries_give_one_manifest_and_the_same_blobs()
    {
        var first = await BuildNormalisedAsync("first");
        await Task.Delay(1100); // another second in every time the build writes
        var second = await BuildNormalisedAsync("second");
        Assert.Equal(first, second);

        using var a = await RegistryAsync();
        using var b = await RegistryAsync();
        // Two uploads that share nothing: each saves the image itself and compresses every layer anew.
        var pushedA = await new ImageUpload(engine.Docker.Archives, a, _ => { }).PushAsync(Local("first"), Remote(a, "strata/app", "app-key1"));
        var pushedB = await new ImageUpload(engine.Docker.Archives, b, _ => { }).PushAsync(Local("second"), Remote(b, "strata/app", "app-key1"));

        Assert.Equal(pushedA.Manifest, pushedB.Manifest);
        var manifestA = (await a.FindManifestAsync(Remote(a, "strata/app", "app-key1")))!;
        var manifestB = (await b.FindManifestAsync(Remote(b, "strata/app", "app-key1")))!;
        Assert.Equal(manifestA.Body, manifestB.Body);
        Assert.Equal(ImageManifest.MediaType, manifestA.MediaType);
        Assert.Equal(pushedA.Manifest, manifestA.Digest);
        var blobs = Blobs(manifestA.Body);
        Assert.Equal(4, blobs.Count); // the config and three layers
        Assert.Equal(blobs, Blobs(manifestB.Body));
        Assert.Equal(first, blobs[0].ToString()); // the config blob is the image id
        foreach (var blob in blobs)
            Assert.Equal((await a.FindBlobAsync(Remote(a, "strata/app", "x"), blob))!, (await b.FindBlobAsync(Remote(b, "strata/app", "x"), blob))!);
        Assert.Equal(3, pushedA.Uploaded);

        // The same image again (a re-run, another image's key tag): nothing uploaded, the same manifest.
        var again = await new ImageUpload(engine.Docker.Archives, a, _ => { }).PushAsync(Local("first"), Remote(a, "strata/app", "app-key2"));
        Assert.Equal(0, again.Uploaded);
        Assert.Equal(pushedA.Manifest, again.Manifest);
    }

    [Fact]
    public async Task Skopeo_reads_the_pushed_image_and_the_engine_pulls_it_by_digest_as_the_same_image()
    {
        var id = await BuildNormalisedAsync("pulled");
        using var registry = await RegistryAsync();
        var target = Remote(registry, "strata/app", "app-key1");
        var pushed = await new ImageUpload(engine.Docker.Archives, registry, _ => { }).PushAsync(Local("pulled"), target);

        var raw = await RunAsync("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{target}");
        Assert.Equal((await registry.FindManifestAsync(target))!.Body, raw);
        var layout = Path.Combine(_dir, "oci");
        // skopeo checks every blob's digest as it copies, and decompresses none: the layout holds the same manifest.
        await RunAsync("skopeo", "copy", "--src-tls-verify=false", $"docker://{target}", $"oci:{layout}:app");
        using (var index = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(layout, "index.json"))))
            Assert.Equal(pushed.Manifest.ToString(), index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString());

        var byDigest = target.WithDigest(pushed.Manifest.ToString()) with { Tag = null };
        _pulled.Add(byDigest);
        await engine.Docker.Images.PullAsync(byDigest, null);
        var pulled = Assert.Single(await engine.Docker.Images.InspectImagesAsync([byDigest]));
        Assert.Equal(id, pulled.Id.ToString());
    }

    /// <summary>The config's digest, then each layer's, as the manifest lists them.</summary>
    private static List<Digest> Blobs(byte[] manifest)
    {
        using var doc = JsonDocument.Parse(manifest);
        return [Digest.Parse(doc.RootElement.GetProperty("config").GetProperty("digest").GetString()!),
            .. doc.RootElement.GetProperty("layers").EnumerateArray().Select(l => Digest.Parse(l.GetProperty("digest").GetString()!))];
    }

    private static async Task<byte[]> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await copy;
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
        return output.ToArray();
    }
}
