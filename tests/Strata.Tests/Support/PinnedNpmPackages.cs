using System.Security.Cryptography;
using Strata.IO;

namespace Strata.Tests.Support;

/// <summary>
/// An npm tool a test runs, pinned by the package.json and package-lock.json of a folder of this test project:
/// installed once per lock (<c>npm ci</c>) into the cache (<c>~/.cache/strata/&lt;name&gt;/&lt;lock sha256&gt;</c>),
/// then reused by every run. Returns the installed folder.
/// </summary>
public static class PinnedNpmPackages
{
    /// <param name="source">The folder of package.json and package-lock.json (and any files to copy beside them).</param>
    /// <param name="probe">A file, relative to the installed folder, that exists once the install is complete.</param>
    public static async Task<string> InstallAsync(string source, string name, string probe, Action<string> log, CancellationToken ct = default)
    {
        var lockFile = Path.Combine(source, "package-lock.json");
        var id = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(lockFile, ct)))[..16];
        var cache = Path.Combine(Strata.Pipeline.RunOptions.DefaultCacheDirectory(Environment.GetEnvironmentVariable), name, id);
        if (File.Exists(Path.Combine(cache, probe))) return cache;

        var npm = Executables.Find("npm")
            ?? throw new InvalidOperationException($"npm is not installed: {name} comes from npm. Install it (apt-get install npm; node 20 or later).");
        // Installed beside the cache entry, then renamed into place: a run stopped half-way leaves no broken entry.
        var staging = cache + ".partial-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(staging);
        try
        {
            foreach (var file in Directory.EnumerateFiles(source)) File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
            var output = new List<string>();
            var exit = await ChildProcess.RunAsync(npm, ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], output.Add, output.Add, ct,
                workingDirectory: staging);
            if (exit != 0)
                throw new InvalidOperationException($"npm ci of {name} failed with exit {exit}:\n{string.Join("\n", output.TakeLast(20))}");
            try
            {
                Directory.Move(staging, cache);
            }
            catch (IOException) when (File.Exists(Path.Combine(cache, probe)))
            {
                // Another run installed the same lock meanwhile.
            }
            log($"installed {name} into {cache}");
            return cache;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }
}
