using System.Text;
using Strata.IO;
using Strata.Tests.Support;

namespace Strata.Tests.Repository;

/// <summary>
/// Every shell script of the repository passes shellcheck (Debian's 0.9) at its default severity, style
/// included, with the repository's .shellcheckrc. A missing shellcheck is a failure that says how to install it.
/// </summary>
public sealed class ShellScriptsTests
{
    private static readonly string Root = RepositoryRoot.Find();

    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        foreach (var script in ShellScripts.FindAsync(Root).GetAwaiter().GetResult()) data.Add(script);
        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task A_shell_script_has_no_shellcheck_warning(string script)
    {
        var shellcheck = Executables.Find("shellcheck")
            ?? throw new InvalidOperationException("shellcheck is not installed; it checks every shell script of the repository. " +
                                                   "Install it: apt-get install shellcheck (Debian's 0.9).");
        var output = new StringBuilder();
        var exitCode = await ShellcheckAsync(shellcheck, script, output);

        Assert.True(exitCode == 0, $"shellcheck {script} (exit {exitCode}), run from {Root}:\n{output}");
    }

    [Fact]
    public async Task The_finder_finds_the_known_scripts_and_nothing_else_of_these()
    {
        var scripts = await ShellScripts.FindAsync(Root);

        string[] known =
        [
            "build.sh", ".ci/run", ".ci/shell-scripts", "bench/run.sh", "bench/release.sh",
            "dotfiles/scripts/dotfiles-apply",
            "dotfiles/bash/.bashrc", "dotfiles/bash/.bash_profile", "dotfiles/bash/.profile",
            "dotfiles/bash/.bashrc.d/vault.sh", "dotfiles/bash/.bashrc.d/10-tools.sh",
            "smoke/vault/scenario.sh", "smoke/vault/tap.sh", "smoke/vault/pty.sh", "smoke/vault/vm-kernel.sh",
            "smoke/vault/guest-init", "smoke/vault/fingerprint.sh",
        ];
        Assert.All(known, k => Assert.Contains(k, scripts));
        Assert.All(new[] { "README.md", "strata.yaml", "build.cake", "Dockerfiles/Dockerfile.base", "dotfiles/tmux/.tmux.conf" },
            other => Assert.DoesNotContain(other, scripts));
    }

    [Theory]
    [InlineData("x", "#!/bin/sh", true)]
    [InlineData("x", "#!/bin/bash -e", true)]
    [InlineData("x", "#!/usr/bin/env bash", true)]
    [InlineData("x", "#! /bin/dash", true)]
    [InlineData("x", "# shellcheck shell=bash", true)]
    [InlineData("lib.sh", "# no shebang", true)]
    [InlineData("home/.bashrc", "# ~/.bashrc", true)]
    [InlineData("home/.profile", "", true)]
    [InlineData("x", "#!/usr/bin/env python3", false)]
    [InlineData("x", "#!/usr/bin/env node", false)]
    [InlineData("x", "#!/bin/shellish", false)]
    [InlineData("notes.shx", "# text", false)]
    [InlineData("x", "", false)]
    public async Task A_file_is_a_shell_script_by_its_first_line_or_its_name(string path, string firstLine, bool expected)
    {
        // The finder itself, on a repository of that one file (tracked: git add) and an untracked script it must not list.
        using var repo = new TempRepo().Write(path, firstLine + "\n").Write("untracked.sh", "#!/bin/sh\n");
        Assert.Equal(0, await ChildProcess.RunAsync("git", ["init", "-q"], null, null, CancellationToken.None, workingDirectory: repo.Root));
        Assert.Equal(0, await ChildProcess.RunAsync("git", ["add", path], null, null, CancellationToken.None, workingDirectory: repo.Root));

        Assert.Equal(expected ? [path] : [], await ShellScripts.FindAsync(repo.Path(Path.GetDirectoryName(path) ?? "")));
    }

    private static Task<int> ShellcheckAsync(string shellcheck, string script, StringBuilder output) =>
        ChildProcess.RunAsync(shellcheck, ["--format=gcc", script], line => output.AppendLine(line), line => output.AppendLine(line),
            CancellationToken.None, workingDirectory: Root);
}
