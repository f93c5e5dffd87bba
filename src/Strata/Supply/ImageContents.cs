using System.Text.Json;
using Strata.Engine;

namespace Strata.Supply;

/// <summary>A Debian package as dpkg has it installed (<c>Status: install ok installed</c>).</summary>
public sealed record DebianPackage(string Name, string Version, string Architecture);

/// <summary>An npm package installed under a global node_modules folder; <see cref="Path"/> is its folder in the image.</summary>
public sealed record NpmPackage(string Name, string Version, string Path);

/// <summary>/usr/lib/os-release: the distribution the packages belong to (for their purls).</summary>
public sealed record OsRelease(string Id, string VersionId, string Codename)
{
    public static OsRelease Parse(string text)
    {
        var fields = text.Split('\n').Select(l => l.Split('=', 2)).Where(f => f.Length == 2)
            .ToDictionary(f => f[0].Trim(), f => f[1].Trim().Trim('"'), StringComparer.Ordinal);
        return new OsRelease(fields.GetValueOrDefault("ID") ?? "debian", fields.GetValueOrDefault("VERSION_ID") ?? "",
            fields.GetValueOrDefault("VERSION_CODENAME") ?? "");
    }
}

/// <summary>
/// What an image holds, read from its files through the engine without running it: the dpkg database,
/// the global npm packages (each package.json under the global node_modules folders, nested
/// dependencies included) and the distribution. The pinned binaries come from the lock, not from here.
/// </summary>
public sealed record ImageContents(OsRelease? Os, IReadOnlyList<DebianPackage> DebianPackages, IReadOnlyList<NpmPackage> NpmPackages)
{
    public const string DpkgStatusPath = "/var/lib/dpkg/status";
    public const string OsReleasePath = "/usr/lib/os-release";
    /// <summary>npm's global prefix: /usr/local with Debian's npm, /usr with a few others.</summary>
    /// Beside them, where an npm tool is installed from its lock (locks/npm/TOOL: npm ci in /usr/local/lib/strata-npm/TOOL).
    public static readonly IReadOnlyList<string> GlobalNodeModules = ["/usr/local/lib/node_modules", "/usr/lib/node_modules", "/usr/local/lib/strata-npm"];

    public static async Task<ImageContents> ReadAsync(IImageStore images, ImageLocator image, CancellationToken ct = default)
    {
        // One read per folder: a read of several folders would archive their common parent (here: /).
        var status = (await images.ReadFilesAsync(image, [DpkgStatusPath], ct)).SingleOrDefault();
        var os = (await images.ReadFilesAsync(image, [OsReleasePath], ct)).SingleOrDefault();
        var npm = new List<NpmPackage>();
        foreach (var folder in GlobalNodeModules)
            foreach (var file in await images.ReadFolderAsync(image, folder, IsPackageManifest, ct))
                if (NpmManifest(file) is { } package) npm.Add(package);
        return new ImageContents(
            os is null ? null : OsRelease.Parse(System.Text.Encoding.UTF8.GetString(os.Content)),
            status is null ? [] : ParseDpkgStatus(System.Text.Encoding.UTF8.GetString(status.Content)),
            npm.DistinctBy(p => (p.Name, p.Version)).OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Version, StringComparer.Ordinal).ToList());
    }

    /// <summary>The installed packages of a dpkg status file (paragraphs of fields; packages only removed or half-installed are left out).</summary>
    public static IReadOnlyList<DebianPackage> ParseDpkgStatus(string status)
    {
        var packages = new List<DebianPackage>();
        foreach (var paragraph in status.Replace("\r\n", "\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in paragraph.Split('\n'))
                if (line.Length > 0 && !char.IsWhiteSpace(line[0]) && line.IndexOf(':') is > 0 and var colon)
                    fields[line[..colon]] = line[(colon + 1)..].Trim();
            if (fields.GetValueOrDefault("Status") is not { } s || !s.EndsWith(" installed", StringComparison.Ordinal)) continue;
            if (fields.GetValueOrDefault("Package") is { } name && fields.GetValueOrDefault("Version") is { } version)
                packages.Add(new DebianPackage(name, version, fields.GetValueOrDefault("Architecture") ?? "all"));
        }
        return packages.OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Architecture, StringComparer.Ordinal).ToList();
    }

    /// <summary>…/node_modules/NAME/package.json or …/node_modules/@SCOPE/NAME/package.json: a package's own manifest, not a file of its sources.</summary>
    public static bool IsPackageManifest(string path)
    {
        if (!path.EndsWith("/package.json", StringComparison.Ordinal)) return false;
        var parts = path.Split('/');
        var n = parts.Length;
        return n >= 3 && (parts[n - 3] == "node_modules" || (n >= 4 && parts[n - 3].StartsWith('@') && parts[n - 4] == "node_modules"));
    }

    private static NpmPackage? NpmManifest(ImageFile file)
    {
        try
        {
            using var doc = JsonDocument.Parse(file.Content);
            return doc.RootElement.TryGetProperty("name", out var name) && name.GetString() is { Length: > 0 } n &&
                   doc.RootElement.TryGetProperty("version", out var version) && version.GetString() is { Length: > 0 } v
                ? new NpmPackage(n, v, file.Path[..file.Path.LastIndexOf('/')])
                : null;
        }
        catch (JsonException)
        {
            return null; // a broken manifest is not a package npm could load either
        }
    }
}
