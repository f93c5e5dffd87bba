using System.Text.Json.Nodes;
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.IO;
using Strata.Oci;
using Strata.Tests.Support;
using Xunit.Abstractions;

namespace Strata.Tests.Images;

/// <summary>
/// The simplest dev-container config, `{"image": ...}`, on a host that has none of the optional host
/// folders (a HOME of the test's own, empty): the real devcontainer CLI starts it, and so does a plain
/// `docker run`, with the host configs arriving where the README's `docker run` line binds them.
///
/// The image is the smallest that carries the real label: the chain's OS image, a user dev, the mount
/// points and ENV, and `latest`'s devcontainer.metadata exactly as strata.yaml makes it (the part under
/// test); one cheap build, no chain.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
[Trait("Lane", "vault-proof")] // (no vault: the devcontainer CLI; in the lane that otherwise ends first, so that the three lanes end together)
public sealed class DevcontainerImageOnlyTests(EngineFixture engine, ITestOutputHelper output) : IAsyncLifetime
{
    private const string TestLabel = "dev.strata.devcontainer-test";
    private readonly string _run = Guid.NewGuid().ToString("N")[..10];
    private readonly TempRepo _home = new();
    private string _image = "";
    private string _workspace = "";
    private DevcontainerCli _cli = null!;

    public async Task InitializeAsync()
    {
        _cli = await DevcontainerCli.InstallAsync(output.WriteLine);
        var graph = GraphLoader.Load(Path.Combine(RepositoryRoot.Find(), "strata.yaml"));
        var metadata = DevcontainerMetadata.For(graph, "latest");
        var merged = metadata.Merged();
        var targets = merged.Mounts.Concat(merged.HostMounts).Select(DevcontainerEntry.MountTarget).OfType<string>().ToList();
        Assert.NotEmpty(targets); // the image declares host folders: what this test is about
        var env = string.Concat(merged.ContainerEnv.Select(kv => $"ENV {kv.Key}={kv.Value}\n"));
        var dockerfile = $"""
            FROM {engine.BaseOsImage}
            RUN echo 'dev:x:1000:1000::/home/dev:/bin/sh' >> /etc/passwd && echo 'dev:x:1000:' >> /etc/group \
             && mkdir -p /home/dev {string.Join(' ', targets)} && chown 1000:1000 /home/dev
            {env}USER dev
            """;
        _image = $"strata-dc-image-only:{_run}";
        await EngineFixture.BuildDockerfileAsync(engine.Docker, _image, dockerfile,
            labels: new Dictionary<string, string> { [DevcontainerMetadata.Label] = metadata.ToLabel("latest") });
        _workspace = Directory.CreateTempSubdirectory($"strata-dc-{_run}-").FullName;
    }

    public async Task DisposeAsync()
    {
        foreach (var id in await engine.Docker.Containers.ListContainersAsync($"{TestLabel}={_run}"))
            await engine.Docker.Containers.RemoveContainerAsync(id);
        // The CLI's derived image that gives dev the host user's UID (named for the workspace), then ours.
        foreach (var image in await engine.Docker.Images.ListImagesAsync())
            foreach (var tag in image.RepoTags.Where(t => t.Path.StartsWith($"vsc-strata-dc-{_run}-", StringComparison.Ordinal))) await engine.Docker.Images.RemoveImageAsync(tag, force: true);
        await engine.Docker.Images.RemoveImageAsync(Strata.Oci.ImageReference.Parse(_image), force: true);
        if (_workspace.Length > 0) Directory.Delete(_workspace, recursive: true);
        _home.Dispose();
    }

    [Fact]
    public async Task An_image_only_config_comes_up_on_a_host_without_kube_or_talos_folders()
    {
        Assert.False(Directory.Exists(_home.Path(".kube")));
        Assert.False(Directory.Exists(_home.Path(".talos")));
        Directory.CreateDirectory(Path.Combine(_workspace, ".devcontainer"));
        await File.WriteAllTextAsync(Path.Combine(_workspace, ".devcontainer", "devcontainer.json"),
            new JsonObject { ["image"] = _image }.ToJsonString());

        var up = await DevcontainerAsync("up");
        Assert.True(up.Exit == 0, $"devcontainer up failed ({up.Exit}):\n{up.Err}\n{up.Out}");
        var outcome = JsonNode.Parse(up.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{')))!;
        Assert.Equal("success", (string?)outcome["outcome"]);
        Assert.Equal("dev", (string?)outcome["remoteUser"]);

        // The label still says who and where: the user, and KUBECONFIG pointing into an (empty) mount point.
        var shell = await DevcontainerAsync("exec", "sh", "-c", "id -un; echo \"$KUBECONFIG\"; test -d /mnt/host-config/kube && echo folder");
        Assert.True(shell.Exit == 0, shell.Err);
        Assert.Equal("dev\n/mnt/host-config/kube/config\nfolder\n", shell.Out);
        Assert.False(Directory.Exists(_home.Path(".kube"))); // nothing was created on the host
    }

    [Fact]
    public async Task A_plain_docker_run_starts_it_and_the_readmes_binds_bring_the_configs_that_exist()
    {
        var bare = await CaptureAsync("docker", ["run", "--rm", _image, "sh", "-c", "id -un; echo \"$KUBECONFIG\""]);
        Assert.True(bare.Exit == 0, bare.Err);
        Assert.Equal("dev\n/mnt/host-config/kube/config\n", bare.Out);

        // The README's line: -v binds (a missing source becomes an empty folder instead of an error).
        _home.Write(".kube/config", $"kube-config-{_run}\n");
        var bound = await CaptureAsync("docker", ["run", "--rm",
            "-v", $"{_home.Path(".kube")}:/mnt/host-config/kube:ro", "-v", $"{_home.Path(".talos")}:/mnt/host-config/talos:ro",
            _image, "sh", "-c", "cat \"$KUBECONFIG\"; ls -A /mnt/host-config/talos | wc -l"]);
        Assert.True(bound.Exit == 0, bound.Err);
        Assert.Equal($"kube-config-{_run}\n0\n", bound.Out);
    }

    private Task<(int Exit, string Out, string Err)> DevcontainerAsync(params string[] args) =>
        _cli.RunAsync(_workspace, $"{TestLabel}={_run}", _home.Root, args);

    private static Task<(int Exit, string Out, string Err)> CaptureAsync(string file, IReadOnlyList<string> args) =>
        DevcontainerCli.CaptureAsync(file, args);
}
