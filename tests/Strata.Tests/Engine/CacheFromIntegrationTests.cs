using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Strata.Engine;
using Strata.Oci;
using Strata.Registry;
using Strata.Tests.Support;
using Xunit.Abstractions;

namespace Strata.Tests.Engine;

/// <summary>
/// The layer cache on a machine that has none, with both builders: a two-step Dockerfile is built (BuildKit
/// with its inline cache) and pushed to a real registry, then every local trace of it is removed (the image;
/// the classic builder's parent chain goes with it; BuildKit's records of its steps by their unique text)
/// and only the image is pulled back by digest. With its last line changed, a build without --cache-from
/// runs both steps; with the pulled image as --cache-from the first step is served from the cache. The two
/// builds' file lists (paths, modes, owners, sizes, sha256) are the same: a cache hit is never wrong.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
[Trait("Lane", "registry")] // (a release or a push into a registry: the third lane, see src/Strata.TestRun/TestLanes.cs)
public sealed class CacheFromIntegrationTests(EngineFixture engine, ITestOutputHelper output) : IAsyncLifetime
{
    // A step no other build has run: only this test's images and build records carry it.
    private readonly string _nonce = "strata-it-cache-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<string> _images = [];
    private RegistryServer _registry = null!;

    private ImageReference _shell = null!;

    public async Task InitializeAsync()
    {
        _registry = await RegistryServer.StartAsync();
        // Pushed with the test's image: the chain's OS (120 MB) would take seconds there and in the exports.
        _shell = ImageReference.Parse($"strata-it/cache-shell:{_nonce}");
        await TinyShellImage.ImportAsync(engine.Docker, _shell);
        _images.Add(_shell.ToString());
    }

    public async Task DisposeAsync()
    {
        foreach (var image in Enumerable.Reverse(_images))
        {
            try { await engine.Docker.Images.RemoveImageAsync(Strata.Oci.ImageReference.Parse(image), force: true); }
            catch (EngineNotFoundException) { }
        }
        await BuildRecords.RemoveAsync(_nonce);
        await _registry.DisposeAsync();
    }

    [Theory]
    [InlineData(BuilderChoice.Classic)]
    [InlineData(BuilderChoice.BuildKit)]
    public async Task A_changed_last_line_reuses_the_earlier_step_of_the_previous_image_pulled_by_digest(BuilderChoice builder)
    {
        using var docker = new DockerEngine(builder);
        var repository = ImageReference.Parse($"{_registry.Host}/strata-it/cache-{builder.ToString().ToLowerInvariant()}");
        string Dockerfile(string last) => $"FROM {_shell}\nRUN echo {_nonce} > /first\nRUN echo {_nonce} {last} > /last\n";

        var previous = repository.WithTag("previous");
        await BuildAsync(docker, Dockerfile("one"), previous, cacheFrom: null);
        await docker.Images.PushAsync(previous, null, _ => { });
        using var client = new RegistryClient(RegistryLocation.Parse(_registry.Host + "/strata-it"), RegistryLogin.Anonymous);
        var digest = (await client.FindAsync(client.At(ImageRepository.Parse(repository.Path["strata-it/".Length..]), "previous")))!.Digest;
        await ForgetAsync(docker, previous);
        var pulled = repository.WithDigest(digest);
        await docker.Images.PullAsync(pulled, null);
        _images.Add(pulled.ToString());

        var cold = await BuildAsync(docker, Dockerfile("two"), repository.WithTag("cold"), cacheFrom: null);
        Assert.Equal(0, cold.CachedSteps); // the machine has no cache of its own
        var coldFiles = await FileListAsync(docker, repository.WithTag("cold"));
        await ForgetAsync(docker, repository.WithTag("cold"));

        var cached = await BuildAsync(docker, Dockerfile("two"), repository.WithTag("cached"), cacheFrom: pulled);
        Assert.Equal(1, cached.CachedSteps);
        Assert.Equal(coldFiles, await FileListAsync(docker, repository.WithTag("cached")));
    }

    private async Task<BuiltImage> BuildAsync(DockerEngine docker, string dockerfile, ImageReference tag, ImageReference? cacheFrom)
    {
        _images.Add(tag.ToString());
        var request = new BuildRequest("Dockerfile", new Dictionary<string, string>(), new Dictionary<string, string>(), [tag], null)
        {
            InlineCache = true,
            CacheFrom = cacheFrom is null ? [] : [cacheFrom],
        };
        return await docker.Builds.BuildAsync(request, async (stdin, ct) =>
        {
            await using var tar = new TarWriter(stdin, TarEntryFormat.Gnu, leaveOpen: true);
            await tar.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, "Dockerfile")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(dockerfile)), Mode = (UnixFileMode)0b110_100_100,
            }, ct);
        }, output.WriteLine);
    }

    /// <summary>Removes the image and what its build left in the builder's cache (a new machine has neither).</summary>
    private async Task ForgetAsync(DockerEngine docker, ImageReference tag)
    {
        await docker.Images.RemoveImageAsync(tag); // the classic builder's intermediate images go with it
        if ((await docker.Builds.ResolveBuilderAsync()).BuildKit) await BuildRecords.RemoveAsync(_nonce);
    }

    /// <summary>Every entry of the image's filesystem: path, type, mode, owner, size, link target and content sha256.</summary>
    private static async Task<IReadOnlyList<string>> FileListAsync(DockerEngine docker, ImageReference image)
    {
        var entries = new List<string>();
        await docker.Images.ExportImageAsync(image, async (stream, ct) =>
        {
            await using var tar = new TarReader(stream);
            while (await tar.GetNextEntryAsync(copyData: true, ct) is { } entry)
            {
                var hash = entry.DataStream is { } data ? Convert.ToHexStringLower(await SHA256.HashDataAsync(data, ct)) : "-";
                entries.Add($"{entry.Name} {entry.EntryType} {Convert.ToString((int)entry.Mode, 8)} {entry.Uid}:{entry.Gid} {entry.Length} {entry.LinkName} {hash}");
            }
        });
        entries.Sort(StringComparer.Ordinal);
        return entries;
    }
}
