using Docker.DotNet;
using Version = System.Version;

namespace Strata.Engine;

/// <summary>
/// The real engine: the Engine API (Docker.DotNet) for images and containers, the docker CLI for builds
/// (<see cref="CliBuilder"/>). Endpoint as the docker CLI resolves it: DOCKER_HOST, the current context,
/// the local socket. Nothing is asked until a part is used.
/// </summary>
public sealed class DockerEngine : IEngine
{
    /// <summary>The oldest Engine API Strata uses (Docker 20.10).</summary>
    public static readonly Version MinimumApiVersion = new(1, 41);

    private readonly DockerClient _client;
    private readonly Lazy<Task<EngineVersion>> _version;
    private readonly EngineImages _images;
    private readonly EngineContainers _containers;
    private readonly CliBuilder _builder;

    /// <param name="builder">Which builder builds images (auto: BuildKit where the engine and a client can).</param>
    /// <param name="cliExecutable">The docker CLI used for builds; null: the one on PATH (or Debian's /usr/bin/docker for BuildKit).</param>
    /// <param name="onOperation">Told the name of each pull and push as it starts (for tests and traces); never a credential.</param>
    /// <param name="dockerConfig">The docker config folder registry logins are read from; null: $DOCKER_CONFIG or ~/.docker.</param>
    public DockerEngine(BuilderChoice builder = BuilderChoice.Auto, string? cliExecutable = null, Action<string>? onOperation = null,
        string? dockerConfig = null)
    {
        _client = new DockerClientBuilder().Build();
        _version = new Lazy<Task<EngineVersion>>(LoadVersionAsync);
        _containers = new EngineContainers(_client);
        _images = new EngineImages(_client, _containers, () => dockerConfig, onOperation);
        _builder = new CliBuilder(builder, cliExecutable);
    }

    public IImageStore Images => _images;
    public IContainerRuntime Containers => _containers;
    public IImageBuilder Builds => _builder;
    /// <summary>Save and load (issue 31: the normaliser of reproducible images, verify --rebuild's diff).</summary>
    public IImageArchives Archives => new EngineArchives(_client);

    public Task<EngineVersion> VersionAsync(CancellationToken ct = default) => _version.Value.WaitAsync(ct);

    private async Task<EngineVersion> LoadVersionAsync()
    {
        var v = await EngineCall.RunAsync("ask the engine for its version", () => _client.System.GetVersionAsync(), CancellationToken.None);
        var version = new EngineVersion(v.Version, v.APIVersion, v.Os, v.Arch);
        if (!Version.TryParse(v.APIVersion, out var api) || api < MinimumApiVersion)
            throw new EngineException(
                $"The Docker engine {v.Version} speaks Engine API {v.APIVersion}; Strata needs API {MinimumApiVersion} or newer " +
                "(Docker Engine 20.10 or later). Upgrade the engine (Debian: apt-get install docker.io from bookworm or later).");
        return version;
    }

    public void Dispose() => _client.Dispose();
}
