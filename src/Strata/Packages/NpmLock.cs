using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.IO;
using Strata.Tools;

namespace Strata.Packages;

/// <summary>
/// The whole dependency tree of an npm-installed tool, with npm's integrity hash of every package, in npm's own
/// lockfile format: <c>locks/npm/TOOL/package.json</c> (the tool at its locked version, nothing else) and
/// <c>package-lock.json</c>. The image installs it with <c>npm ci</c>, which refuses a tree that differs from the lock.
/// </summary>
public static class NpmLock
{
    /// <summary>Where the lock of a tool is kept in the repository.</summary>
    public static string Folder(string tool) => $"locks/npm/{tool}";

    /// <summary>Where the build context holds it (the Dockerfile copies it from there).</summary>
    public static string ContextFolder(string tool) => $".strata/npm/{tool}";

    public const string ManifestName = "package.json";
    public const string LockName = "package-lock.json";

    /// <summary>The manifest that asks for exactly the locked version of the tool.</summary>
    public static string Manifest(NpmTool tool, string version) =>
        new JsonObject
        {
            ["name"] = $"strata-{tool.Name}",
            ["private"] = true,
            ["description"] = $"{tool.Package} at the version tools.lock.json pins; its tree is locked in {LockName} (written by ./build.sh --target=pin).",
            ["dependencies"] = new JsonObject { [tool.Package] = version },
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).Replace("\r\n", "\n") + "\n";

    /// <summary>The version of the tool a lockfile holds (its root dependency), or null when it holds none.</summary>
    public static string? LockedVersion(string packageLockJson, NpmTool tool)
    {
        try
        {
            var root = JsonNode.Parse(packageLockJson);
            return root?["packages"]?[$"node_modules/{tool.Package}"]?["version"]?.GetValue<string>();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Checks that a tool's lock is in the repository and holds the version tools.lock.json pins; returns its two files
    /// (repository-relative). A missing or stale lock is an error naming the fix.
    /// </summary>
    public static (string Manifest, string Lock) Require(string repositoryRoot, NpmTool tool, string version, string image)
    {
        var folder = Folder(tool.Name);
        var manifest = $"{folder}/{ManifestName}";
        var lockFile = $"{folder}/{LockName}";
        var lockPath = Path.Combine(repositoryRoot, lockFile);
        if (!File.Exists(lockPath) || !File.Exists(Path.Combine(repositoryRoot, manifest)))
            throw new StrataConfigException(
                $"{lockFile} is missing: image '{image}' installs {tool.Package} {version}, whose dependency tree must be locked. " +
                "Run ./build.sh --target=pin (add --skip-tools without GitHub access) and commit it.");
        if (LockedVersion(File.ReadAllText(lockPath), tool) is var locked && locked != version)
            throw new StrataConfigException(
                $"{lockFile} locks {tool.Package} {locked ?? "(none)"}, but tools.lock.json pins {version}. " +
                "Run ./build.sh --target=pin (add --skip-tools without GitHub access) and commit both.");
        return (manifest, lockFile);
    }

    /// <summary>
    /// Resolves the tree with npm itself (<c>npm install --package-lock-only</c>: only the registry's metadata is read,
    /// nothing is installed or run) and writes both files atomically when they differ. Returns whether they changed.
    /// </summary>
    public static async Task<bool> PinAsync(string repositoryRoot, NpmTool tool, string version, bool write, Action<string> log, CancellationToken ct)
    {
        var npm = Executables.Find("npm")
            ?? throw new StrataConfigException(
                $"npm is not installed: pin locks the dependency tree of {tool.Package} with npm (Debian: apt-get install npm; node 20 or later).");
        var work = Directory.CreateTempSubdirectory("strata-npm-lock-").FullName;
        try
        {
            var manifest = Manifest(tool, version);
            await File.WriteAllTextAsync(Path.Combine(work, ManifestName), manifest, ct);
            var errors = new List<string>();
            log($"locking the npm tree of {tool.Package} {version}");
            var exit = await ChildProcess.RunAsync(npm,
                ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier", "--lockfile-version=3"],
                null, errors.Add, ct, workingDirectory: work);
            if (exit != 0)
                throw new StrataConfigException(
                    $"npm could not lock {tool.Package} {version} (exit {exit}):\n  " + string.Join("\n  ", errors.TakeLast(10)));
            var lockJson = (await File.ReadAllTextAsync(Path.Combine(work, LockName), ct)).Replace("\r\n", "\n");
            if (!lockJson.EndsWith('\n')) lockJson += "\n";

            var folder = Path.Combine(repositoryRoot, Folder(tool.Name));
            var manifestPath = Path.Combine(folder, ManifestName);
            var lockPath = Path.Combine(folder, LockName);
            var changed = !File.Exists(lockPath) || File.ReadAllText(lockPath) != lockJson
                          || !File.Exists(manifestPath) || File.ReadAllText(manifestPath) != manifest;
            if (changed && write)
            {
                // The lock first: a manifest that names a version its lock lacks would fail `npm ci`, the reverse only `pin --check`.
                AtomicFile.WriteAllText(lockPath, lockJson);
                AtomicFile.WriteAllText(manifestPath, manifest);
            }
            return changed;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
