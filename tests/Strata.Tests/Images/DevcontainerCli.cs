using Strata.IO;
using Strata.Tests.Support;

namespace Strata.Tests.Images;

/// <summary>
/// The real devcontainer CLI (@devcontainers/cli from npm), at the version pinned by
/// <c>devcontainer-cli/package-lock.json</c> beside this file. Installed once per lock into the cache
/// (<c>~/.cache/strata/devcontainer-cli/&lt;lock sha256&gt;</c>, about 2 s), then reused by every run.
/// </summary>
public sealed class DevcontainerCli
{
    private DevcontainerCli(string executable) => Executable = executable;

    /// <summary>The devcontainer script (node runs it through its shebang).</summary>
    public string Executable { get; }

    /// <summary>Runs the CLI on a workspace (its containers labelled <paramref name="idLabel"/>) with HOME set to <paramref name="home"/>.</summary>
    public Task<(int Exit, string Out, string Err)> RunAsync(string workspace, string idLabel, string home, params string[] args)
    {
        string[] common = ["--workspace-folder", workspace, "--id-label", idLabel];
        return CaptureAsync(Executable, [args[0], .. common, .. args[1..]], new Dictionary<string, string> { ["HOME"] = home });
    }

    /// <summary>Runs a program to its end (at most 3 minutes); its exit code and output.</summary>
    public static async Task<(int Exit, string Out, string Err)> CaptureAsync(string file, IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var exit = await ChildProcess.RunAsync(Executables.Find(file) ?? file, args, l => stdout.Append(l).Append('\n'),
            l => stderr.Append(l).Append('\n'), limit.Token, environment);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public static async Task<DevcontainerCli> InstallAsync(Action<string> log, CancellationToken ct = default)
    {
        var source = Path.Combine(RepositoryRoot.Find(), "tests", "Strata.Tests", "Images", "devcontainer-cli");
        var probe = Path.Combine("node_modules", ".bin", "devcontainer");
        return new DevcontainerCli(Path.Combine(await PinnedNpmPackages.InstallAsync(source, "devcontainer-cli", probe, log, ct), probe));
    }
}
