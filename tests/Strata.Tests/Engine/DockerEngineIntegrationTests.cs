using Strata.Oci;
using System.Formats.Tar;
using System.Text;
using Strata.Engine;
using Strata.Tests.Support;

namespace Strata.Tests.Engine;

/// <summary>The engine API on the real engine: images, containers, exec, import, and push/pull with a login.</summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class DockerEngineIntegrationTests(EngineFixture engine) : IAsyncLifetime
{
    private readonly string _repository = "strata-it/engine-" + Guid.NewGuid().ToString("N")[..8];
    private readonly TempRepo _temp = new();
    private DockerEngine Docker => engine.Docker;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await engine.RemoveRepositoryAsync(_repository);
        _temp.Dispose();
    }

    [Fact]
    public async Task Version_and_platform_come_from_the_engine()
    {
        var version = await Docker.VersionAsync();
        Assert.Equal("linux", version.Os);
        Assert.Contains(version.Arch, new[] { "amd64", "arm64" });
        Assert.True(Version.Parse(version.ApiVersion) >= DockerEngine.MinimumApiVersion);
        Assert.Equal(version.Arch, version.Platform.Architecture);
    }

    [Fact]
    public async Task Import_tag_list_by_reference_and_label_and_remove()
    {
        var tag = ImageReference.Parse($"{_repository}:imported");
        await Docker.Images.ImportAsync(async (stdin, ct) =>
        {
            await using var tar = new TarWriter(stdin, TarEntryFormat.Gnu, leaveOpen: true);
            await tar.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, "hello.txt")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes("hello\n")),
            }, ct);
        }, tag, Platform.LinuxArm64);

        var imported = Assert.Single(await Docker.Images.InspectImagesAsync([tag, Strata.Oci.ImageReference.Parse($"{_repository}:absent")]));
        // Engine 20.10 labels an import with its own architecture; the config is corrected to the platform asked for.
        Assert.Equal(Platform.LinuxArm64, await Docker.Images.PlatformOfAsync(tag));
        await Docker.Images.TagAsync(tag, ImageReference.Parse($"{_repository}:second"));
        var listed = Assert.Single(await Docker.Images.ListImagesAsync(Strata.Oci.ImageReference.Parse(_repository)));
        Assert.Equal(imported.Id, listed.Id);
        Assert.Equal([$"{_repository}:imported", $"{_repository}:second"], listed.RepoTags.Select(t => t.ToString()).Order());
        Assert.Equal(imported.Id, Assert.Single(await Docker.Images.InspectImagesAsync([imported.Id])).Id);

        // The chain's images carry labels: listing by label finds them (and only them).
        var labelled = await Docker.Images.ListImagesAsync(Strata.Oci.ImageReference.Parse(_repository), ["dev.strata.key"]);
        Assert.Empty(labelled);

        await Docker.Images.RemoveImageAsync(Strata.Oci.ImageReference.Parse($"{_repository}:second"));
        Assert.Equal([tag], Assert.Single(await Docker.Images.ListImagesAsync(Strata.Oci.ImageReference.Parse(_repository))).RepoTags);
        var e = await Assert.ThrowsAsync<EngineNotFoundException>(() => Docker.Images.RemoveImageAsync(Strata.Oci.ImageReference.Parse($"{_repository}:second")));
        Assert.Contains($"{_repository}:second", e.Message);
    }

    [Fact]
    public async Task Containers_run_exec_and_are_removed()
    {
        var run = await Docker.Containers.RunContainerAsync(new ContainerOptions(), engine.BaseOsImage,
            ["sh", "-c", "echo out; echo err >&2; exit 3"]);
        Assert.Equal((3, "out\n", "err\n"), (run.ExitCode, run.StdOut, run.StdErr));

        var name = "strata-it-exec-" + Guid.NewGuid().ToString("N")[..8];
        var id = await Docker.Containers.StartContainerAsync(name, engine.BaseOsImage,
            new ContainerOptions { Labels = new Dictionary<string, string> { ["dev.strata.test"] = "1" }, ReplaceEntrypoint = true },
            ["sleep", "infinity"]);
        try
        {
            var whoami = await Docker.Containers.ExecAsync(name, "nobody", ["sh", "-c", "id -un; exit 7"]);
            Assert.Equal((7, "nobody"), (whoami.ExitCode, whoami.StdOut.Trim()));
            Assert.True(await Docker.Containers.ContainerExistsAsync(id));
            Assert.Equal([id], await Docker.Containers.ListContainersAsync("dev.strata.test=1"));

            // Streamed: each stdout line as it comes (a long scenario shows progress), with the environment given.
            var lines = new List<string>();
            var streamed = await Docker.Containers.ExecAsync(name, "root",
                ["sh", "-c", "echo \"one $GREETING\"; echo warn >&2; sleep 1; printf 'two\\nthree'"], default, ["GREETING=hello"], lines.Add);
            Assert.Equal(["one hello", "two", "three"], lines);
            Assert.Equal((0, "one hello\ntwo\nthree", "warn\n"), (streamed.ExitCode, streamed.StdOut, streamed.StdErr));
        }
        finally
        {
            await Docker.Containers.RemoveContainerAsync(name);
        }
        Assert.False(await Docker.Containers.ContainerExistsAsync(name));
        Assert.Empty(await Docker.Containers.ListContainersAsync("dev.strata.test=1"));
        await Docker.Containers.RemoveContainerAsync(name); // already gone: fine
    }

    [Fact]
    public async Task An_image_is_exported_as_its_whole_filesystem_and_the_container_that_served_it_is_gone()
    {
        var names = new List<string>();
        await Docker.Images.ExportImageAsync(engine.BaseOsImage, async (tar, ct) =>
        {
            await using var reader = new System.Formats.Tar.TarReader(tar);
            while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry) names.Add(entry.Name.TrimEnd('/'));
        });

        Assert.Contains("etc/os-release", names);
        Assert.Contains("usr/bin/env", names);
        var e = await Assert.ThrowsAsync<EngineNotFoundException>(() => Docker.Images.ExportImageAsync(Strata.Oci.ImageReference.Parse("strata-no-such-image:x"), (_, _) => Task.CompletedTask));
        Assert.Contains("strata-no-such-image", e.Message);
    }

    [Fact]
    public async Task Push_and_pull_use_the_login_in_the_docker_config_file_and_never_print_it()
    {
        const string user = "strata";
        var password = "pw-" + Guid.NewGuid().ToString("N");
        await using var registry = await RegistryServer.StartAsync(user, password);
        var remote = ImageReference.Parse($"{registry.Host}/{_repository}:pushed");
        await Docker.Images.TagAsync(engine.BaseOsImage, remote);
        var lines = new List<string>();

        // Without a login the registry refuses.
        var anonymous = await Assert.ThrowsAsync<EngineException>(() => Docker.Images.PushAsync(remote, null, lines.Add));
        Assert.Contains("docker login " + registry.Host, anonymous.Message);

        var config = _temp.Path("config.json");
        File.WriteAllText(config, $$"""{ "auths": { "{{registry.Host}}": { "auth": "{{Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password))}}" } } }""");
        using var logged = new DockerEngine(dockerConfig: _temp.Root);
        await logged.Images.PushAsync(remote, null, lines.Add);
        await logged.Images.RemoveImageAsync(remote);
        Assert.Empty(await logged.Images.InspectImagesAsync([remote]));

        var (ok, reason) = await logged.Images.TryPullAsync(remote, progress: lines.Add);
        Assert.True(ok, reason);
        Assert.Single(await logged.Images.InspectImagesAsync([remote]));
        await logged.Images.RemoveImageAsync(remote);
        Assert.NotEmpty(lines);
        Assert.DoesNotContain(lines, l => l.Contains(password));

        var (denied, why) = await Docker.Images.TryPullAsync(remote);
        Assert.False(denied);
        Assert.Contains("no basic auth credentials", why);
    }
}
