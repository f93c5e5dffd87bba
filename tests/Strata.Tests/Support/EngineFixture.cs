using Strata.Oci;
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.BaseOs;

namespace Strata.Tests.Support;

/// <summary>
/// The real Docker engine and the chain's OS image (pinned, or debootstrapped once, exactly as the
/// main job does it). Integration tests share it through the "engine" collection, one at a time.
/// </summary>
public sealed class EngineFixture : IAsyncLifetime
{
    public DockerEngine Docker { get; } = new();
    public BaseOsSpec BaseOs { get; private set; } = null!;
    /// <summary>A local image reference usable in FROM.</summary>
    public ImageReference BaseOsImage { get; private set; } = null!;

    /// <summary>The base OS of a real engine's tests: its images, and its own platform (which alone it pulls).</summary>
    public static BaseOsProvider BaseOsOn(IEngine docker, Action<string> log) =>
        new(docker.Images, async ct => (await docker.VersionAsync(ct)).Platform, log);

    public async Task InitializeAsync()
    {
        await Docker.VersionAsync();
        BaseOs = GraphLoader.Load(Path.Combine(RepositoryRoot.Find(), "strata.yaml")).BaseOs;
        using (await CrossProcessLock.AcquireAsync(RealChain.BaseOsLock))
            BaseOsImage = await BaseOsOn(Docker, _ => { }).EnsureAsync(BaseOs, Platform.Host);
    }

    private readonly SemaphoreSlim _registryStart = new(1, 1);
    private RegistryServer? _registry;

    /// <summary>
    /// One registry for this test process's integration tests, started at first use and stopped with the fixture.
    /// They run one at a time, each under repositories of its own; a layer one pushed (the OS image's, about 7 s
    /// of the engine's CPU to compress) the engine then mounts from that repository instead of compressing and
    /// uploading it again, which it does for every fresh registry. A test that stops or restarts its registry
    /// starts one of its own (<see cref="RegistryServer.StartAsync"/>).
    /// </summary>
    public async Task<RegistryServer> SharedRegistryAsync()
    {
        await _registryStart.WaitAsync();
        try
        {
            return _registry ??= await RegistryServer.StartAsync();
        }
        finally
        {
            _registryStart.Release();
        }
    }

    public async Task DisposeAsync()
    {
        if (_registry is not null) await _registry.DisposeAsync();
        Docker.Dispose();
    }

    /// <summary>Removes every image tag of a test repository (and nothing else).</summary>
    public async Task RemoveRepositoryAsync(string repository)
    {
        foreach (var image in await Docker.Images.ListImagesAsync(ImageReference.Parse(repository)))
            foreach (var tag in image.RepoTags.Where(t => t.Repository == repository))
                await Docker.Images.RemoveImageAsync(tag, force: true);
    }

    /// <summary>Builds a Dockerfile without context (as `docker build -` with a Dockerfile on stdin); returns the image id.</summary>
    public static async Task<ImageId> BuildDockerfileAsync(IEngine docker, string tag, string dockerfile, Action<string>? log = null,
        IReadOnlyDictionary<string, string>? labels = null)
    {
        var request = new BuildRequest("Dockerfile", new Dictionary<string, string>(), labels ?? new Dictionary<string, string>(), [ImageReference.Parse(tag)], null);
        return (await docker.Builds.BuildAsync(request, async (stdin, ct) =>
        {
            await using var tar = new System.Formats.Tar.TarWriter(stdin, System.Formats.Tar.TarEntryFormat.Gnu, leaveOpen: true);
            var entry = new System.Formats.Tar.GnuTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "Dockerfile")
            {
                DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(dockerfile)),
                Mode = (UnixFileMode)0b110_100_100,
            };
            await tar.WriteEntryAsync(entry, ct);
        }, log ?? (_ => { }))).Id;
    }

    /// <summary>The base_os block of strata.yaml: the shared debootstrapped OS, or <paramref name="os"/> (a recipe of the test's own).</summary>
    public string BaseOsYaml(BaseOsSpec? os = null)
    {
        os ??= BaseOs;
        return $"""
            base_os:
              image: "{os.Image}"
              debootstrap: {"{"} suite: {os.Debootstrap.Suite}, variant: {os.Debootstrap.Variant}, mirror: "{os.Debootstrap.Mirror}" {"}"}
            """;
    }

    /// <summary>The shared OS under a debootstrap variant of the test's own: the fallback tags it sets up are the test's, never the chain's.</summary>
    public BaseOsSpec OwnBaseOs(string variant) => BaseOs with { Debootstrap = BaseOs.Debootstrap with { Variant = variant } };
}

[CollectionDefinition("engine")]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>;

/// <summary>
/// An engine that records what it does: every command its docker CLI (used for builds only) runs
/// (its first argument; the shim then runs the real client the builder would have chosen), and
/// every pull and push it makes through the API.
/// </summary>
public sealed class RecordingDocker : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-docker-shim-").FullName;

    public RecordingDocker(BuilderChoice builder = BuilderChoice.Auto)
    {
        using var probe = new DockerEngine(builder);
        var real = probe.Builds.ResolveBuilderAsync().GetAwaiter().GetResult().Executable;
        var shim = Path.Combine(_dir, "docker");
        File.WriteAllText(shim, $"#!/bin/sh\necho \"$1\" >> '{LogPath}'\nexec '{real}' \"$@\"\n");
        File.SetUnixFileMode(shim, (UnixFileMode)0b111_101_101);
        Cli = new DockerEngine(builder, shim, onOperation: Record);
    }

    /// <summary>The engine (named Cli for its recorded command line).</summary>
    public DockerEngine Cli { get; }
    private string LogPath => Path.Combine(_dir, "calls.log");

    private void Record(string operation)
    {
        lock (_dir) File.AppendAllText(LogPath, operation + "\n");
    }

    public IReadOnlyList<string> Calls => File.Exists(LogPath) ? File.ReadAllLines(LogPath) : [];

    public void Reset() => File.Delete(LogPath);

    public void Dispose()
    {
        Cli.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
