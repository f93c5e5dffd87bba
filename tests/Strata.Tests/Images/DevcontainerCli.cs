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

    public static async Task<DevcontainerCli> InstallAsync(Action<string> log, CancellationToken ct = default)
    {
        var source = Path.Combine(RepositoryRoot.Find(), "tests", "Strata.Tests", "Images", "devcontainer-cli");
        var probe = Path.Combine("node_modules", ".bin", "devcontainer");
        return new DevcontainerCli(Path.Combine(await PinnedNpmPackages.InstallAsync(source, "devcontainer-cli", probe, log, ct), probe));
    }
}
