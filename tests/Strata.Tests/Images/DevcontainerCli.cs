using System.Security.Cryptography;
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

    public static async Task<DevcontainerCli> InstallAsync(Action<string> log, CancellationToken ct = default)
    {
        var source = Path.Combine(RepositoryRoot.Find(), "tests", "Strata.Tests", "Images", "devcontainer-cli");
        var lockFile = Path.Combine(source, "package-lock.json");
        var id = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(lockFile, ct)))[..16];
        var cache = Path.Combine(Strata.Pipeline.RunOptions.DefaultCacheDirectory(Environment.GetEnvironmentVariable), "devcontainer-cli", id);
        var executable = Path.Combine(cache, "node_modules", ".bin", "devcontainer");
        if (File.Exists(executable)) return new DevcontainerCli(executable);

        var npm = Executables.Find("npm")
            ?? throw new InvalidOperationException("npm is not installed: the devcontainer CLI comes from npm. Install it (apt-get install npm; node 20 or later).");
        // Installed beside the cache entry, then renamed into place: a run stopped half-way leaves no broken entry.
        var staging = cache + ".partial-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(staging);
        try
        {
            File.Copy(Path.Combine(source, "package.json"), Path.Combine(staging, "package.json"));
            File.Copy(lockFile, Path.Combine(staging, "package-lock.json"));
            var output = new List<string>();
            var exit = await ChildProcess.RunAsync(npm, ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], output.Add, output.Add, ct,
                workingDirectory: staging);
            if (exit != 0)
                throw new InvalidOperationException($"npm ci of the devcontainer CLI failed with exit {exit}:\n{string.Join("\n", output.TakeLast(20))}");
            try
            {
                Directory.Move(staging, cache);
            }
            catch (IOException) when (File.Exists(executable))
            {
                // Another run installed the same lock meanwhile.
            }
            log($"installed the devcontainer CLI into {cache}");
            return new DevcontainerCli(executable);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }
}
