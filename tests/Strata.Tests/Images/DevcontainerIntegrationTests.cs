using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Strata.Engine;
using Strata.Images;
using Strata.IO;
using Strata.Pipeline;
using Strata.Tests.Support;
using Xunit.Abstractions;

namespace Strata.Tests.Images;

/// <summary>
/// The published image as a dev container, started by the real devcontainer CLI from the repository's
/// own .devcontainer/devcontainer.json (only its image swapped for the one built here).
///
/// The image: the repository's chain with `latest` (its real Dockerfile and devcontainer section) built
/// directly on `base` instead of on gemini, through the pipeline: base is the suite's (reused by key),
/// so this costs latest's small core and two thin layers, not the gemini install. It has what the
/// real latest has that matters here: the user dev, tmux, the vault script and its shell gate, the
/// KUBECONFIG/TALOSCONFIG ENV, the mount points and the devcontainer.metadata label of base and latest.
///
/// The vault: this engine refuses --privileged ("unable to apply caps"), so the test uses the vault-less
/// run arguments (the example's runArgs without "--privileged", as the README's vault-less variant says)
/// and proves that `vault status` answers at once, without a prompt, and that non-interactive execs are
/// never held by the shell gate. The privileged path is the vault scenario's (smoke/vault).
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
[Trait("Lane", "vault-proof")] // (no vault: the devcontainer CLI; in the lane that otherwise ends first, so that the three lanes end together)
public sealed class DevcontainerIntegrationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string TestLabel = "dev.strata.devcontainer-test";
    private readonly DockerEngine _docker = new();
    private readonly TempRepo _chain = new();
    private readonly TempRepo _home = new();
    private readonly string _run = Guid.NewGuid().ToString("N")[..10];
    private DevcontainerCli _cli = null!;
    private ImagePlan _latest = null!;
    private string _image = "";
    private string _workspace = "";

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        _cli = await DevcontainerCli.InstallAsync(output.WriteLine);
        output.WriteLine($"devcontainer CLI ready in {clock.Elapsed.TotalSeconds:0.0} s");

        var root = RepositoryRoot.Find();
        // The chain's inputs: its files, both locks, and the vault program's sources (the image's vault is built from them).
        foreach (var path in new[] { "Dockerfiles", "dotfiles", "tools.yaml", "tools.lock.json", "packages.lock.json", "locks", "global.json", "Directory.Build.props" })
            await ShAsync("cp", "-a", Path.Combine(root, path), _chain.Root);
        Directory.CreateDirectory(_chain.Path("src"));
        await ShAsync("cp", "-a", Path.Combine(root, "src", "Strata.Vault"), _chain.Path("src"));
        var yaml = await File.ReadAllTextAsync(Path.Combine(root, "strata.yaml"));
        var onBase = Regex.Replace(yaml, @"(- name: latest\n    parent: )gemini\n", "${1}base\n");
        Assert.NotEqual(yaml, onBase); // strata.yaml's latest entry changed shape: update this test
        await File.WriteAllTextAsync(_chain.Path("strata.yaml"), onBase);

        clock.Restart();
        using var pipeline = new ImagePipeline(new RunOptions { RepositoryRoot = _chain.Root, SkipBinaryTools = true, CacheDirectory = RunOptions.DefaultCacheDirectory(Environment.GetEnvironmentVariable) }, output.WriteLine, _docker);
        _latest = (await pipeline.OnlyRunAsync()).Plan.Get("latest");
        _image = (await (await pipeline.OnlyRunAsync()).Build.LineageAsync("latest")).Tag;
        output.WriteLine($"built {_image} in {clock.Elapsed.TotalSeconds:0.0} s");

        // The host's cluster configs, in a home of the test's own (the example opts into ${localEnv:HOME}/.kube and .talos).
        _home.Write(".kube/config", $"kube-config-{_run}\n").Write(".talos/config", $"talos-config-{_run}\n");
    }

    public async Task DisposeAsync()
    {
        // The test chain's own images (latest on base exists nowhere else); base is the suite's and stays.
        foreach (var stage in _latest?.Stages ?? [])
            await _docker.Images.RemoveImageAsync(stage.KeyTag, force: true);
        _docker.Dispose();
        _chain.Dispose();
        _home.Dispose();
    }

    [Fact]
    public async Task Devcontainer_up_starts_the_image_as_its_label_says_and_leaves_nothing_behind()
    {
        var workspace = _workspace = Directory.CreateTempSubdirectory($"strata-dc-{_run}-").FullName;
        var volumesBefore = await LinesAsync("docker", "volume", "ls", "-q");
        try
        {
            // The repository's example, image swapped, vault-less (this engine refuses --privileged).
            var example = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Find(), ".devcontainer", "devcontainer.json")),
                documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();
            Assert.Equal("strata/workstation:latest", (string?)example["image"]);
            Assert.Contains("--privileged", example["runArgs"]!.AsArray().Select(a => (string?)a));
            example["image"] = _image;
            example["runArgs"] = new JsonArray(example["runArgs"]!.AsArray().Select(a => (string?)a).Where(a => a != "--privileged")
                .Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
            Directory.CreateDirectory(Path.Combine(workspace, ".devcontainer"));
            await File.WriteAllTextAsync(Path.Combine(workspace, ".devcontainer", "devcontainer.json"), example.ToJsonString());

            var up = Stopwatch.StartNew();
            var started = await DevcontainerAsync("up");
            Assert.True(started.Exit == 0, $"devcontainer up failed ({started.Exit}):\n{started.Err}\n{started.Out}");
            var outcome = JsonNode.Parse(started.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{')))!;
            Assert.Equal("success", (string?)outcome["outcome"]);
            var ready = await DevcontainerAsync("exec", "true");
            var toShell = up.Elapsed;
            Assert.True(ready.Exit == 0, ready.Err);
            output.WriteLine($"MEASURED devcontainer up to a ready shell: {toShell.TotalSeconds:0.0} s");

            var metadata = DevcontainerMetadata.Parse((await _docker.Images.InspectImagesAsync([Strata.Oci.ImageReference.Parse(_image)])).Single().Labels[DevcontainerMetadata.Label]).Merged();
            Assert.Equal("dev", metadata.RemoteUser);
            Assert.Equal(metadata.RemoteUser, (string?)outcome["remoteUser"]);

            // The remote user, and the cluster configs in a non-login shell.
            var shell = await DevcontainerAsync("exec", "sh", "-c", "id -un; echo \"$KUBECONFIG|$TALOSCONFIG\"; cat \"$KUBECONFIG\" \"$TALOSCONFIG\"");
            Assert.True(shell.Exit == 0, shell.Err);
            Assert.Equal(
                [metadata.RemoteUser!, $"{metadata.ContainerEnv["KUBECONFIG"]}|{metadata.ContainerEnv["TALOSCONFIG"]}", $"kube-config-{_run}", $"talos-config-{_run}"],
                Lines(shell.Out));

            // Inside tmux (a server started by the exec, its window's shell writes what it sees).
            var tmux = await DevcontainerAsync("exec", "sh", "-c", """
                tmux -L strata-dc new-session -d 'echo "$KUBECONFIG|$TALOSCONFIG" > /tmp/tmux-env.part && mv /tmp/tmux-env.part /tmp/tmux-env; sleep 60' </dev/null >/dev/null 2>&1
                for _ in $(seq 100); do [ -e /tmp/tmux-env ] && break; sleep 0.1; done
                tmux -L strata-dc kill-server </dev/null >/dev/null 2>&1
                cat /tmp/tmux-env
                """);
            Assert.True(tmux.Exit == 0, tmux.Err);
            Assert.Equal([$"{metadata.ContainerEnv["KUBECONFIG"]}|{metadata.ContainerEnv["TALOSCONFIG"]}"], Lines(tmux.Out));

            // The vault answers at once, without a prompt (stdin closed); an interactive shell's gate does not hold an exec.
            var vault = await DevcontainerAsync("exec", "sh", "-c", "timeout 20 vault status </dev/null; echo \"exit=$?\"; timeout 20 bash -ic 'echo gate-passed' </dev/null 2>&1; echo \"exit=$?\"");
            Assert.True(vault.Exit == 0, vault.Err);
            Assert.Matches(@"^locked: .*\nexit=1\n", vault.Out);          // vault status: exit 1 is "locked", 124 would be a timeout
            Assert.Matches(@"gate-passed\nexit=0\n$", vault.Out);
        }
        finally
        {
            var containers = await _docker.Containers.ListContainersAsync($"{TestLabel}={_run}");
            var images = new HashSet<string>();
            foreach (var id in containers)
            {
                images.Add((await LinesAsync("docker", "inspect", "-f", "{{.Config.Image}}", id)).Single());
                await _docker.Containers.RemoveContainerAsync(id);
            }
            // The CLI's derived image that gives dev the host user's UID (updateRemoteUserUID): named for the workspace.
            foreach (var image in images.Where(i => i.StartsWith("vsc-strata-dc-" + _run, StringComparison.Ordinal)))
                await _docker.Images.RemoveImageAsync(Strata.Oci.ImageReference.Parse(image), force: true);
            Directory.Delete(workspace, recursive: true);
        }

        Assert.Empty(await _docker.Containers.ListContainersAsync($"{TestLabel}={_run}"));
        Assert.DoesNotContain(await _docker.Images.ListImagesAsync(), i => i.RepoTags.Any(t => t.Path.StartsWith($"vsc-strata-dc-{_run}-", StringComparison.Ordinal)));
        Assert.Empty((await LinesAsync("docker", "volume", "ls", "-q")).Except(volumesBefore));
    }

    private Task<(int Exit, string Out, string Err)> DevcontainerAsync(params string[] args) =>
        _cli.RunAsync(_workspace, $"{TestLabel}={_run}", _home.Root, args);

    private static List<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static async Task<List<string>> LinesAsync(string file, params string[] args)
    {
        var (exit, stdout, stderr) = await CaptureAsync(file, args);
        return exit == 0 ? Lines(stdout) : throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {exit}: {stderr}");
    }

    private static async Task ShAsync(string file, params string[] args) => await LinesAsync(file, args);

    private static Task<(int Exit, string Out, string Err)> CaptureAsync(string file, IReadOnlyList<string> args) =>
        DevcontainerCli.CaptureAsync(file, args);
}
