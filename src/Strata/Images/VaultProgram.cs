using System.Diagnostics;
using Strata.Keys;
using Strata.Oci;

namespace Strata.Images;

/// <summary>
/// The vault (src/Strata.Vault), built from this repository for each platform by NativeAOT and copied into every
/// thin layer at /usr/local/bin/vault (Dockerfile.dotfiles). Its key is the content of its sources, the build
/// settings they share (global.json, Directory.Build.props) and the .NET that compiles it, so an edit to the vault
/// rebuilds and re-proves exactly the images that carry it. The library does not reference the vault's project:
/// it runs `dotnet publish` on it, like any tool.
/// </summary>
public sealed class VaultProgram
{
    /// <summary>Where the binary sits in a thin layer's build context (always present, maybe empty).</summary>
    public const string ContextDirectory = ".strata/vault";
    public const string ProjectDirectory = "src/Strata.Vault";
    private static readonly string[] Inputs = [ProjectDirectory, "global.json", "Directory.Build.props"];

    private VaultProgram(string root, IReadOnlyList<InputFile> sources, string key) => (Root, Sources, Key) = (root, sources, key);

    public string Root { get; }
    public IReadOnlyList<InputFile> Sources { get; }
    /// <summary>The content key: sources, shared build settings, compiler.</summary>
    public string Key { get; }

    /// <summary>The vault of the repository at <paramref name="root"/>; null when it has none (a chain without a vault).</summary>
    public static VaultProgram? Find(string root, string? compiler = null)
    {
        if (!File.Exists(Path.Combine(root, ProjectDirectory, "Strata.Vault.csproj"))) return null;
        var sources = InputSet.Collect(root, Inputs.Where(i => Path.Exists(Path.Combine(root, i))), [])
            .Where(f => !f.ContextPath.Contains("/bin/") && !f.ContextPath.Contains("/obj/"))   // build output, not source
            .ToList();
        using var key = new KeyBuilder()
            .Add("vault", "nativeaot")
            // The SDK that runs Strata publishes the vault; its runtime version names the ILCompiler package it uses.
            .Add("compiler", compiler ?? ".NET " + Environment.Version)
            .AddFiles("source", sources);
        return new VaultProgram(root, sources, key.Finish());
    }

    /// <summary>The runtime identifier a platform publishes for (linux-x64, linux-arm64).</summary>
    public static string RuntimeIdentifier(Platform platform) => platform.Architecture switch
    {
        "amd64" => "linux-x64",
        "arm64" => "linux-arm64",
        var other => throw new StrataConfigException($"the vault is built for linux/amd64 and linux/arm64 only, not {platform} ({other})"),
    };

    /// <summary>
    /// The binary for a platform: from the cache (a key's binary never changes), else published ahead of time
    /// (`dotnet publish -r linux-ARCH`, NativeAOT; arm64 on an amd64 host through clang/lld and Debian's
    /// aarch64 cross toolchain) and cached.
    /// </summary>
    /// <param name="cacheDirectory">Where binaries are kept by key; null: the user's shared cache (XDG_CACHE_HOME/strata or
    /// ~/.cache/strata), like the guest kernels: a key's binary is the same for every run, and a publish costs minutes.</param>
    public async Task<string> PublishAsync(Platform platform, string? cacheDirectory, Action<string> log, CancellationToken ct)
    {
        var rid = RuntimeIdentifier(platform);
        cacheDirectory ??= Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "strata");
        var cached = Path.Combine(cacheDirectory, "vault", $"{Key[..16]}-{rid}", "vault");
        if (File.Exists(cached)) return cached;
        var output = Directory.CreateTempSubdirectory("strata-vault-").FullName;
        try
        {
            log($"==> vault: publishing {rid} (NativeAOT, key {Key[..12]})");
            var info = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { "publish", Path.Combine(Root, ProjectDirectory), "-c", "Release", "-r", rid, "-o", output, "--nologo", "-v", "quiet" },
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            using var process = Process.Start(info) ?? throw new StrataConfigException("cannot start dotnet to publish the vault");
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
                throw new StrataConfigException($"publishing the vault for {rid} failed (exit {process.ExitCode}): {(await stdout).Trim()} {(await stderr).Trim()}\n" +
                    "NativeAOT needs clang and lld, and for linux-arm64 on an amd64 host gcc-aarch64-linux-gnu and libc6-dev-arm64-cross " +
                    "(apt-get install clang lld gcc-aarch64-linux-gnu libc6-dev-arm64-cross zlib1g-dev).");
            Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
            var partial = cached + ".partial";
            File.Copy(Path.Combine(output, "vault"), partial, overwrite: true);
            File.Move(partial, cached, overwrite: true);   // whole or absent: a killed publish leaves no half binary
            return cached;
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
