using Strata.Engine;
using Strata.Tests.Support;
using Xunit.Abstractions;

namespace Strata.Tests.Images;

/// <summary>The published base image as people use it: personal dotfiles at run time, unprivileged shells.</summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class WorkstationImageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly DockerEngine _docker = new();
    private readonly TempRepo _personal = new();
    private string _image = "";

    public async Task InitializeAsync()
    {
        _image = await RealChain.BuildAsync(_docker, "base", output.WriteLine);
        // Personal dotfiles: their own nvim config (replacing the image's), a script, a bashrc.
        _personal.Write("nvim/.config/nvim/init.lua", "-- personal config\nvim.opt.number = false\n")
            .Write("scripts/hello", "#!/bin/sh\necho personal hello\n", executable: true)
            .Write("bash/.bashrc", "echo personal bashrc\n");
        foreach (var dir in Directory.EnumerateFileSystemEntries(_personal.Root, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(_personal.Root, (UnixFileMode)0b111_101_101);
    }

    public Task DisposeAsync()
    {
        _docker.Dispose();
        _personal.Dispose();
        return Task.CompletedTask;
    }

    private Task<ExecResult> RunAsync(string script) =>
        _docker.Containers.RunContainerAsync(new ContainerOptions { Binds = [$"{_personal.Root}:/mnt/dotfiles:ro"] }, Strata.Oci.ImageReference.Parse(_image), ["bash", "-c", script]);

    [Fact]
    public async Task Personal_dotfiles_are_applied_by_the_same_rules_and_twice_is_harmless()
    {
        var run = await RunAsync("""
            set -e
            dotfiles-apply /mnt/dotfiles
            dotfiles-apply /mnt/dotfiles
            readlink -f ~/.config/nvim/init.lua
            hello
            readlink -f ~/.bashrc
            command -v vault
            nvim --headless +q 2>&1 | wc -c
            """);

        Assert.True(run.ExitCode == 0, run.StdErr);
        var lines = run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/mnt/dotfiles/nvim/.config/nvim/init.lua", lines[0]); // replaced, not a stow conflict
        Assert.Equal("personal hello", lines[1]);                          // scripts land in ~/.local/bin, on PATH
        Assert.Equal("/mnt/dotfiles/bash/.bashrc", lines[2]);              // the image's link made room
        Assert.Equal("/home/dev/.local/bin/vault", lines[3]);              // your scripts add to the image's
        Assert.Equal("0", lines[4]);                                       // neovim starts without a word
    }

    [Fact]
    public async Task An_interactive_shell_in_an_unprivileged_container_says_the_vault_is_unavailable_and_stays_usable()
    {
        var run = await _docker.Containers.RunContainerAsync(new ContainerOptions { Tty = true }, Strata.Oci.ImageReference.Parse(_image), ["bash", "-ic", "echo SHELL-ALIVE; test -w ~/secrets || echo SECRETS-READ-ONLY"]);

        Assert.Contains("vault: unavailable in this container", run.StdOut);
        Assert.Contains("SHELL-ALIVE", run.StdOut);
        Assert.Contains("SECRETS-READ-ONLY", run.StdOut);
    }
}
