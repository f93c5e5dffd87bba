namespace Strata.Reproducible;

/// <summary>What the normaliser does with one layer entry's path: keep it, leave it out, or rewrite its content.</summary>
public enum VolatileAction { Keep, Drop, RewriteShadow }

/// <summary>
/// The files that only record the build itself (when it ran, what it logged, what it cached), found by comparing
/// two builds of the same key. Paths are layer paths: relative, no leading '/' or "./".
/// </summary>
public static class VolatileFiles
{
    // Exact files.
    private static readonly HashSet<string> Files = new(StringComparer.Ordinal)
    {
        "var/log/dpkg.log", "var/log/alternatives.log", "var/log/bootstrap.log", "var/log/fontconfig.log",
        "var/log/lastlog", "var/log/faillog",
        "var/cache/ldconfig/aux-cache",       // ld.so's cache of file times and inodes
        "var/cache/debconf/config.dat-old", "var/cache/debconf/templates.dat-old", "var/cache/debconf/passwords.dat-old",
        "var/lib/dpkg/status-old", "var/lib/dpkg/diversions-old", "var/lib/dpkg/statoverride-old", "var/lib/dpkg/available-old",
        "etc/shadow-", "etc/gshadow-", "etc/passwd-", "etc/group-", "etc/subuid-", "etc/subgid-",  // shadow-utils' backups
        "var/cache/apt/pkgcache.bin", "var/cache/apt/srcpkgcache.bin",
    };

    // Every file below these folders (the folders themselves stay).
    private static readonly string[] FoldersEmptied = ["var/log/apt/"];

    public static VolatileAction Of(string path)
    {
        if (path == "etc/shadow") return VolatileAction.RewriteShadow;
        if (Files.Contains(path)) return VolatileAction.Drop;
        if (FoldersEmptied.Any(f => path.StartsWith(f, StringComparison.Ordinal) && path.Length > f.Length)) return VolatileAction.Drop;
        // Compiled Python: made on first import or by py3compile, with the source's time inside.
        if (path.Contains("/__pycache__/", StringComparison.Ordinal) && path.EndsWith(".pyc", StringComparison.Ordinal)) return VolatileAction.Drop;
        // npm's cache and logs, under any home (root's or a user's): the folder and all below it.
        if (IsUnderHomeFolder(path, ".npm")) return VolatileAction.Drop;
        return VolatileAction.Keep;
    }

    private static bool IsUnderHomeFolder(string path, string folder)
    {
        var parts = path.TrimEnd('/').Split('/');
        return (parts.Length >= 2 && parts[0] == "root" && parts[1] == folder) ||
               (parts.Length >= 3 && parts[0] == "home" && parts[2] == folder);
    }

    /// <summary>/etc/shadow with every "last changed" day count (the third field) set to the epoch's day.</summary>
    public static byte[] StableShadow(byte[] content)
    {
        var text = System.Text.Encoding.UTF8.GetString(content);
        var lines = text.Split('\n').Select(line =>
        {
            var fields = line.Split(':');
            if (fields.Length < 3 || fields[2].Length == 0) return line;
            fields[2] = ReproducibleEpoch.Days.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return string.Join(':', fields);
        });
        return System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }
}
