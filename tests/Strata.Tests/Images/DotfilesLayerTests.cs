using Strata.Oci;
using Strata.Engine;
using Strata.Images;
using Strata.Keys;
using Strata.Tests.Support;
using Xunit.Abstractions;

namespace Strata.Tests.Images;

/// <summary>
/// The COPY-only dotfiles layer (the home prepared on the host) gives the image exactly what the
/// old layer gave, which ran dotfiles-apply (GNU Stow) in a container: same files, owners, modes,
/// links and bytes, same user, folder and PATH. Checked on the repository's own base image, with each builder.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class DotfilesLayerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<string> _tags = [];
    private DockerEngine? _docker;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_docker is null) return;
        foreach (var tag in _tags) await _docker.Images.RemoveImageAsync(Strata.Oci.ImageReference.Parse(tag), force: true);
        _docker.Dispose();
    }

    public static TheoryData<BuilderChoice> Builders => [BuilderChoice.BuildKit, BuilderChoice.Classic];

    [Theory, MemberData(nameof(Builders))]
    public async Task The_copied_home_equals_the_one_stow_made(BuilderChoice builder)
    {
        _docker = new DockerEngine(builder);
        var published = await RealChain.BuildAsync(_docker, "base", output.WriteLine);
        var plan = await RealChain.PlanAsync();
        var core = plan.Get("base").Core.KeyTag.ToString();
        var stow = await BuildStowLayerAsync(core, plan.Get("base").Published);

        var expected = await HomeAsync(stow);
        var actual = await HomeAsync(published);
        output.WriteLine(expected);
        Assert.Equal(expected, actual);
        Assert.Contains("l 777 dev:dev .bashrc -> .dotfiles/bash/.bashrc\n", actual);
        Assert.Contains("d 500 dev:dev secrets\n", actual);
        Assert.Contains("d 700 dev:dev \n", actual); // the home itself
        Assert.Contains("f 644 dev:dev .dotfiles-backup/.bashrc\n", actual); // the skeleton's, kept as dotfiles-apply keeps it
    }

    /// <summary>Every entry of /home/dev (type, mode, owner, path, link target, sha256 of files), plus user, folder and PATH.</summary>
    private async Task<string> HomeAsync(string image)
    {
        var run = await _docker!.Containers.RunContainerAsync(new ContainerOptions { User = "0" }, Strata.Oci.ImageReference.Parse(image), ["bash", "-c", """
            set -e
            cd /home/dev
            find . -mindepth 0 -printf '%y %m %u:%g %P -> %l\n' | sort
            find . -type f -print0 | sort -z | xargs -0 sha256sum
            """]);
        Assert.True(run.ExitCode == 0, run.StdErr);
        var config = await _docker.Containers.RunContainerAsync(new ContainerOptions(), Strata.Oci.ImageReference.Parse(image), ["sh", "-c", "id -un; pwd; echo $PATH"]);
        return run.StdOut.Replace(" -> \n", "\n") + config.StdOut;
    }

    /// <summary>The old layer: the dotfiles copied, then dotfiles-apply run in a container.</summary>
    private async Task<string> BuildStowLayerAsync(string core, Stage published)
    {
        var tag = $"strata-it/stow-layer:{Guid.NewGuid():N}"[..^20];
        var dockerfile = Path.Combine(RepositoryRoot.Find(), "tests/Strata.Tests/Images/Fixtures/Dockerfile.dotfiles-stow");
        var files = published.Files.Where(f => f.ContextPath.StartsWith("dotfiles/", StringComparison.Ordinal))
            .Append(new InputFile("Dockerfile", dockerfile, false, null)).ToList();
        var args = new Dictionary<string, string>(published.BuildArgs) { [BuildPlanner.ParentImageArg] = core };
        await _docker!.Builds.BuildAsync(new BuildRequest("Dockerfile", args, new Dictionary<string, string>(), [ImageReference.Parse(tag)], null),
            (stdin, ct) => ContextTar.WriteAsync(stdin, files, Array.Empty<string>(), ct), output.WriteLine);
        _tags.Add(tag);
        return tag;
    }
}
