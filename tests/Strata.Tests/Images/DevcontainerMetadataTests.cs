using System.Text.Json;
using Strata.Engine;
using Strata.Graph;
using Strata.Images;
using Strata.Smoke;
using Strata.Tests.Support;
using Strata.Tests.Support.Fakes;

namespace Strata.Tests.Images;

/// <summary>The devcontainer sections of strata.yaml, the label they make, its place in the keys, and its smoke check.</summary>
public sealed class DevcontainerMetadataTests : IDisposable
{
    private readonly TempRepo _repo = new();

    public DevcontainerMetadataTests()
    {
        _repo.Write("Dockerfiles/Dockerfile.base", "FROM x\n")
            .Write("Dockerfiles/Dockerfile.k8s", "FROM x\n")
            .Write("Dockerfiles/Dockerfile.dotfiles", "FROM x\n")
            .Write("dotfiles/bash/.bashrc", "echo hi\n");
    }

    public void Dispose() => _repo.Dispose();

    private const string Header = """
        repository: strata/test
        base_os:
          image: debian:trixie-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
          debootstrap: { suite: trixie, mirror: "http://deb.debian.org/debian" }
        dotfiles: { dockerfile: Dockerfiles/Dockerfile.dotfiles, inputs: [dotfiles] }

        """;

    private static string Chain(string baseSection = "", string k8sSection = "") => $"""
        images:
          - name: base
            dockerfile: Dockerfiles/Dockerfile.base
        {Indent(baseSection)}
          - name: k8s
            parent: base
            dockerfile: Dockerfiles/Dockerfile.k8s
        {Indent(k8sSection)}
        """;

    private static string Indent(string section) =>
        string.Join("\n", section.Split('\n').Select(l => l.Length == 0 ? l : "    " + l));

    private const string BaseSection = """
        devcontainer:
          remote_user: dev
          container_user: dev
          init: true
          vault_run_args: ["--privileged"]
        """;

    private const string K8sSection = """
        devcontainer:
          remote_user: ops
          container_env: { KUBECONFIG: /mnt/host-config/kube/config }
          host_mounts:
            - { source: "${localEnv:HOME}/.kube", target: /mnt/host-config/kube }
        """;

    private ImageGraph Load(string images) => GraphLoader.Parse(Header + images, _repo.Root);

    private StrataConfigException Fails(string images) => Assert.Throws<StrataConfigException>(() => Load(images));

    [Fact]
    public void A_child_adds_its_entry_after_its_parents_and_the_spec_merge_gives_the_last_user_and_every_variable()
    {
        var graph = Load(Chain(BaseSection, K8sSection));

        var metadata = DevcontainerMetadata.For(graph, "k8s");
        Assert.Equal(["base", "k8s"], metadata.Entries.Select(e => e.Image));
        var merged = metadata.Merged();
        Assert.Equal("ops", merged.RemoteUser);      // last value wins
        Assert.Equal("dev", merged.ContainerUser);   // only base says it
        Assert.True(merged.Init);
        Assert.Equal("/mnt/host-config/kube/config", merged.ContainerEnv["KUBECONFIG"]);
        Assert.Equal(["source=${localEnv:HOME}/.kube,target=/mnt/host-config/kube,type=bind,readonly"], merged.HostMounts);
        Assert.Empty(merged.Mounts);                 // declared, never applied: see the next test
        Assert.Equal(["--privileged"], merged.VaultRunArgs);
        Assert.Single(DevcontainerMetadata.For(graph, "base").Entries);
    }

    [Fact]
    public void The_label_is_a_json_array_in_the_spec_property_names_that_reads_back_the_same()
    {
        var json = DevcontainerMetadata.For(Load(Chain(BaseSection, K8sSection)), "k8s").ToJson();

        using var doc = JsonDocument.Parse(json);
        Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
        var first = doc.RootElement[0];
        Assert.Equal("dev", first.GetProperty("remoteUser").GetString());
        Assert.True(first.GetProperty("init").GetBoolean());
        // Declared, not applied: privileged/capAdd in the label could never be taken back by a user.
        Assert.False(first.TryGetProperty("privileged", out _));
        Assert.Equal("--privileged", first.GetProperty("customizations").GetProperty("dev.strata").GetProperty("vaultRunArgs")[0].GetString());
        Assert.Equal("/mnt/host-config/kube/config", doc.RootElement[1].GetProperty("containerEnv").GetProperty("KUBECONFIG").GetString());
        // Host folders too: a bind mount in the label fails `devcontainer up` wherever the folder is missing.
        Assert.All(doc.RootElement.EnumerateArray(), e => Assert.False(e.TryGetProperty("mounts", out _)));
        Assert.Equal("source=${localEnv:HOME}/.kube,target=/mnt/host-config/kube,type=bind,readonly",
            doc.RootElement[1].GetProperty("customizations").GetProperty("dev.strata").GetProperty("hostMounts")[0].GetString());
        Assert.Equal(json, DevcontainerMetadata.Parse(json).ToJson());
    }

    [Fact]
    public void The_example_devcontainer_json_opts_into_exactly_the_host_folders_the_image_declares_and_creates_them_first()
    {
        var root = RepositoryRoot.Find();
        var declared = DevcontainerMetadata.For(GraphLoader.Load(Path.Combine(root, "strata.yaml")), "latest").Merged().HostMounts;
        var example = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(root, ".devcontainer", "devcontainer.json")),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;

        Assert.NotEmpty(declared);
        Assert.Equal(declared, example["mounts"]!.AsArray().Select(m => (string)m!));
        var initialize = (string)example["initializeCommand"]!;
        foreach (var source in declared.Select(m => m.Split(',')[0]["source=".Length..]))
            Assert.Contains($"\"{source.Replace("${localEnv:HOME}", "$HOME")}\"", initialize);
    }

    [Fact]
    public void A_label_over_the_size_limit_is_refused_with_the_fix()
    {
        var big = string.Join("\n", Enumerable.Range(0, 2000).Select(i => $"    VAR_{i}: \"{new string('x', 40)}\""));
        var graph = Load(Chain($"devcontainer:\n  container_env:\n{big}"));

        var e = Assert.Throws<StrataConfigException>(() => BuildPlanner.Plan(graph));
        Assert.Contains("over Strata's limit of 65536", e.Message);
        Assert.Contains("shorten the devcontainer sections", e.Message);
    }

    [Theory]
    [InlineData("devcontainer:\n  remote_usr: dev", "line 10: unknown key 'remote_usr' in image 'base': devcontainer")]
    [InlineData("devcontainer:\n  remote_user: Dev!", "line 10: image 'base': devcontainer: remote_user 'Dev!' is not a user name")]
    [InlineData("devcontainer:\n  init: maybe", "line 10: 'init' in image 'base': devcontainer must be true or false")]
    [InlineData("devcontainer:\n  container_env: { 1X: y }", "line 10: image 'base': devcontainer: container_env '1X' is not a variable name")]
    [InlineData("devcontainer:\n  host_mounts:\n    - { source: /a, target: relative }", "line 11: image 'base': devcontainer: mount target 'relative' must be an absolute path")]
    [InlineData("devcontainer:\n  host_mounts:\n    - { source: /a, dst: /b }", "line 11: unknown key 'dst' in a mount of image 'base': devcontainer")]
    [InlineData("devcontainer:\n  mounts:\n    - { source: /a, target: /b }", "line 11: image 'base': devcontainer: 'mounts' would put bind mounts into the image's label")]
    [InlineData("devcontainer: [dev]", "line 9: image 'base': devcontainer must be a mapping")]
    public void Bad_sections_are_refused_naming_the_file_line_and_key(string section, string message)
    {
        var e = Fails(Chain(section));
        Assert.Contains("strata.yaml: " + message, e.Message);
    }

    [Fact]
    public void The_label_is_on_the_thin_layer_and_in_its_key_so_an_edit_rebuilds_no_core()
    {
        var before = BuildPlanner.Plan(Load(Chain(BaseSection, K8sSection)));
        var after = BuildPlanner.Plan(Load(Chain(BaseSection, K8sSection.Replace("ops", "dev"))));

        foreach (var name in new[] { "base", "k8s" })
        {
            Assert.Empty(before.Get(name).Core.Labels);
            Assert.Equal(before.Get(name).Core.Key, after.Get(name).Core.Key);
        }
        Assert.Equal(DevcontainerMetadata.For(before.Graph, "k8s").ToJson(), before.Get("k8s").Published.Labels[DevcontainerMetadata.Label]);
        Assert.Equal(before.Get("base").Key, after.Get("base").Key);       // base's own entry did not change
        Assert.NotEqual(before.Get("k8s").Key, after.Get("k8s").Key);      // k8s's did: its thin layer is rebuilt
        Assert.NotEqual(before.Get("k8s").Published.Labels, after.Get("k8s").Published.Labels);
    }

    [Fact]
    public void Without_sections_there_is_no_label_and_the_keys_are_what_they_were()
    {
        var plan = BuildPlanner.Plan(Load(Chain()));
        Assert.All(plan.Images.SelectMany(i => i.Stages), s => Assert.Empty(s.Labels));
        Assert.DoesNotContain(SmokeSuitePlan(Load(Chain())), c => c is DevcontainerCheck);
    }

    [Fact]
    public async Task The_smoke_check_passes_when_the_label_says_what_the_image_is()
    {
        var (check, labels) = CheckFor("root", "/");
        var result = await RunAsync(check, labels, env: "/");
        Assert.True(result.Passed, result.Message);
    }

    [Theory]
    [InlineData("nobody-here", "/", "/", "remoteUser 'nobody-here' is not a user of the image")]
    [InlineData("root", "/", "/elsewhere", "containerEnv KUBECONFIG='/', but the image's ENV says '/elsewhere'")]
    [InlineData("root", "/no/such/folder", "/", "mount target /no/such/folder is not a folder of the image")]
    public async Task The_smoke_check_fails_when_the_label_and_the_image_disagree(string user, string mountTarget, string env, string message)
    {
        var (check, labels) = CheckFor(user, mountTarget);
        var result = await RunAsync(check, labels, env);
        Assert.False(result.Passed);
        Assert.Contains(message, result.Message);
    }

    [Theory]
    [InlineData(null, "label devcontainer.metadata is not set")]
    [InlineData("[{\"remoteUser\": ", "devcontainer.metadata is not valid JSON")]
    [InlineData("\"dev\"", "must be a JSON array of objects")]
    [InlineData("[{\"remoteUser\":\"root\"}]", "but strata.yaml declares")]
    public async Task The_smoke_check_fails_on_a_missing_broken_or_stale_label(string? label, string message)
    {
        var (check, _) = CheckFor("root", "/");
        var labels = label is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [DevcontainerMetadata.Label] = label };
        var result = await RunAsync(check, labels, env: "/");
        Assert.False(result.Passed);
        Assert.Contains(message, result.Message);
    }

    private (DevcontainerCheck Check, Dictionary<string, string> Labels) CheckFor(string user, string mountTarget)
    {
        var graph = Load(Chain($$"""
            devcontainer:
              remote_user: {{user}}
              container_env: { KUBECONFIG: / }
              host_mounts: [{ source: /host, target: {{mountTarget}} }]
            """));
        var check = Assert.Single(SmokeSuitePlan(graph).OfType<DevcontainerCheck>());
        return (check, new Dictionary<string, string> { [DevcontainerMetadata.Label] = check.Expected });
    }

    private IReadOnlyList<SmokeCheck> SmokeSuitePlan(ImageGraph graph) =>
        GeneratedChecks.For(graph, "base", new EffectiveSpec("base", "root", false, [], []), new Strata.Tools.ToolSet("tools.yaml", []),
            Strata.Tools.ToolLock.Empty, new SmokeOptions { VaultProofDirectory = null });

    /// <summary>Runs the check with "the container" being this machine's shell: root exists and / is a folder on any Linux.</summary>
    private static async Task<CheckResult> RunAsync(SmokeCheck check, IReadOnlyDictionary<string, string> labels, string env)
    {
        using var images = new FakeEngine();
        var shell = new HostShell(new Dictionary<string, string> { ["KUBECONFIG"] = env });
        var context = new SmokeContext(images, shell, "host", "base", Strata.Oci.ImageReference.Parse("strata/test:base"), "root", labels,
            new SmokeOptions { Images = images, Containers = shell });
        return Assert.Single(await check.RunAsync(context, CancellationToken.None));
    }

    /// <summary>Containers whose one "container" is a shell on this machine (the user asked for is ignored).</summary>
    private sealed class HostShell(IReadOnlyDictionary<string, string> environment) : IContainerRuntime
    {
        public async Task<ExecResult> ExecAsync(string container, string user, IEnumerable<string> command, CancellationToken ct = default,
            IEnumerable<string>? env = null, Action<string>? onStdOutLine = null)
        {
            var args = command.ToList();
            var psi = new System.Diagnostics.ProcessStartInfo(args[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args.Skip(1)) psi.ArgumentList.Add(a);
            foreach (var (k, v) in environment) psi.Environment[k] = v;
            using var p = System.Diagnostics.Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync(ct);
            var stderr = p.StandardError.ReadToEndAsync(ct);
            await p.WaitForExitAsync(ct);
            return new ExecResult(p.ExitCode, await stdout, await stderr);
        }

        public Task<string> StartContainerAsync(string name, ImageLocator image, ContainerOptions options, IReadOnlyList<string> command, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<ExecResult> RunContainerAsync(ContainerOptions options, ImageLocator image, IReadOnlyList<string> command, CancellationToken ct = default) => throw new NotSupportedException();
        public Task RemoveContainerAsync(string container, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<IReadOnlyList<string>> ListContainersAsync(string label, CancellationToken ct = default) => throw new NotSupportedException();
        public Task<bool> ContainerExistsAsync(string nameOrId, CancellationToken ct = default) => throw new NotSupportedException();
    }
}
