using Strata.Engine;
using Strata.Graph;
using Strata.Images;

namespace Strata.Tests.Support;

/// <summary>
/// The real Docker engine and the chain's OS image (pinned, or debootstrapped once, exactly as the
/// main job does it). Integration tests share it through the "engine" collection, one at a time.
/// </summary>
public sealed class EngineFixture : IAsyncLifetime
{
    public DockerCli Docker { get; } = new();
    public BaseOsSpec BaseOs { get; private set; } = null!;
    /// <summary>A local image reference usable in FROM.</summary>
    public string BaseOsImage { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Docker.ServerVersionAsync();
        BaseOs = GraphLoader.Load(Path.Combine(RepositoryRoot.Find(), "strata.yaml")).BaseOs;
        BaseOsImage = await new BaseOsProvider(Docker, _ => { }).EnsureAsync(BaseOs);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Removes every image tag of a test repository.</summary>
    public async Task RemoveRepositoryAsync(string repository)
    {
        var list = await Docker.RunAsync(["image", "ls", repository, "--format", "{{.Repository}}:{{.Tag}}"]);
        foreach (var tag in list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            await Docker.RunAsync(["image", "rm", "--force", tag]);
    }

    /// <summary>The base_os block of strata.yaml, for test graphs that share the debootstrapped OS.</summary>
    public string BaseOsYaml() => $"""
        base_os:
          image: "{BaseOs.Image}"
          debootstrap: {"{"} suite: {BaseOs.Debootstrap.Suite}, variant: {BaseOs.Debootstrap.Variant}, mirror: "{BaseOs.Debootstrap.Mirror}" {"}"}
        """;
}

[CollectionDefinition("engine")]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>;

/// <summary>A docker CLI that records every command it runs (its first argument), then runs the real one.</summary>
public sealed class RecordingDocker : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-docker-shim-").FullName;

    public RecordingDocker()
    {
        var shim = Path.Combine(_dir, "docker");
        File.WriteAllText(shim, $"#!/bin/sh\necho \"$1\" >> '{LogPath}'\nexec docker \"$@\"\n");
        File.SetUnixFileMode(shim, (UnixFileMode)0b111_101_101);
        Cli = new DockerCli(shim);
    }

    public DockerCli Cli { get; }
    private string LogPath => Path.Combine(_dir, "calls.log");

    public IReadOnlyList<string> Calls => File.Exists(LogPath) ? File.ReadAllLines(LogPath) : [];

    public void Reset() => File.Delete(LogPath);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
