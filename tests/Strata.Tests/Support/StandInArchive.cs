using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Strata.Tests.Support;

/// <summary>
/// A small Debian archive on 127.0.0.1 for the package-lock tests: real .debs made with dpkg-deb (each with a
/// changelog.Debian.gz, as Debian's have), indexed by Debian's own dpkg-scanpackages, served flat
/// (<c>deb [trusted=yes] URL ./</c>). A build reaches it with host networking. Versions can be added (a security
/// update) and removed (what Debian's archive does with the version it replaced).
/// </summary>
public sealed class StandInArchive : IAsyncDisposable
{
    private readonly StandInServer _server;
    private readonly TempRepo _dir = new();

    private StandInArchive(StandInServer server)
    {
        _server = server;
        _server.Fallback.Add(async (ctx, _) =>
        {
            var path = Path.GetFullPath(Path.Combine(_dir.Root, "pool", ctx.Request.Path.Value!.TrimStart('/')));
            if (!path.StartsWith(_dir.Root, StringComparison.Ordinal) || !File.Exists(path)) return false;
            ctx.Response.ContentType = "application/octet-stream";
            await ctx.Response.Body.WriteAsync(await File.ReadAllBytesAsync(path));
            return true;
        });
    }

    public static async Task<StandInArchive> StartAsync() => new(await StandInServer.StartAsync());

    /// <summary>The one-line apt source of this archive, for strata.yaml's <c>apt: sources:</c>.</summary>
    public string Source => $"deb [trusted=yes] {_server.BaseUrl}/ ./";

    /// <summary>Makes a .deb and indexes the archive again.</summary>
    public StandInArchive Add(string name, string version, string? depends = null, string changes = "New upstream release.")
    {
        var root = _dir.Path($"build/{name}_{version}");
        var control = $"Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: Strata Tests <tests@strata.invalid>\n" +
                      (depends is null ? "" : $"Depends: {depends}\n") + $"Description: {name}, a package of the stand-in archive\n";
        Directory.CreateDirectory(Path.Combine(root, "DEBIAN"));
        File.WriteAllText(Path.Combine(root, "DEBIAN", "control"), control);
        var doc = Directory.CreateDirectory(Path.Combine(root, "usr", "share", "doc", name)).FullName;
        File.WriteAllText(Path.Combine(root, "usr", "share", name + ".txt"), $"{name} {version}\n");
        using (var gz = new GZipStream(File.Create(Path.Combine(doc, "changelog.Debian.gz")), CompressionLevel.Optimal))
            gz.Write(Encoding.UTF8.GetBytes($"{name} ({version}) trixie-security; urgency=high\n\n  * {changes}\n\n -- Strata Tests <tests@strata.invalid>  Mon, 07 Dec 2026 12:00:00 +0000\n"));
        Directory.CreateDirectory(_dir.Path("pool"));
        Run("dpkg-deb", ["--build", "--root-owner-group", root, _dir.Path($"pool/{name}_{version}_all.deb")]);
        Directory.Delete(root, recursive: true);
        return Index();
    }

    /// <summary>Removes a version from the archive, as Debian's does once a newer one replaced it.</summary>
    public StandInArchive Remove(string name, string version)
    {
        File.Delete(_dir.Path($"pool/{name}_{version}_all.deb"));
        return Index();
    }

    /// <summary>Packages by dpkg-scanpackages, and a Release file with its sha256 (apt refuses an archive without one).</summary>
    private StandInArchive Index()
    {
        var packages = Run("dpkg-scanpackages", ["--multiversion", "."], _dir.Path("pool"));
        File.WriteAllText(_dir.Path("pool/Packages"), packages);
        var bytes = Encoding.UTF8.GetBytes(packages);
        File.WriteAllText(_dir.Path("pool/Release"),
            $"Origin: Strata stand-in\nLabel: Strata stand-in\nDate: {DateTime.UtcNow:R}\nSHA256:\n {Convert.ToHexStringLower(SHA256.HashData(bytes))} {bytes.Length} Packages\n");
        return this;
    }

    private static string Run(string file, string[] args, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {error}");
        return output.Result;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }
}
