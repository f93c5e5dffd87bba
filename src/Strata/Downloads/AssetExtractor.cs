using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Strata.IO;

namespace Strata.Downloads;

/// <summary>
/// Takes the one executable out of a cached asset and writes it with mode 0755. An archive is read
/// whole first: one with an entry that escapes its root (<c>../x</c>, an absolute path, a link
/// pointing outside) is not what upstream publishes and is refused as tampered, even though only
/// the named binary would be written.
/// </summary>
public static class AssetExtractor
{
    private const UnixFileMode Executable =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>
    /// Writes the binary of <paramref name="assetPath"/> to <paramref name="destination"/> (atomically, mode 0755).
    /// <paramref name="binaryPath"/> is the path inside a tar.gz or zip ("./" prefixes are ignored); unused for raw.
    /// Throws <see cref="InvalidDataException"/> naming <paramref name="tool"/> when the archive is tampered
    /// or the binary is missing or not a regular file.
    /// </summary>
    public static void Extract(string tool, string assetPath, ArchiveFormat format, string? binaryPath, string destination)
    {
        if (format != ArchiveFormat.Raw && string.IsNullOrEmpty(binaryPath))
            throw new ArgumentException($"a {format} asset needs the binary's path inside it.", nameof(binaryPath));
        AtomicFile.Write(destination, output =>
        {
            switch (format)
            {
                case ArchiveFormat.Raw:
                    using (var input = File.OpenRead(assetPath)) input.CopyTo(output);
                    break;
                case ArchiveFormat.TarGz:
                    CopyFromTarGz(tool, assetPath, binaryPath!, output);
                    break;
                case ArchiveFormat.Zip:
                    CopyFromZip(tool, assetPath, binaryPath!, output);
                    break;
            }
        });
        File.SetUnixFileMode(destination, Executable);
    }

    private enum EntryKind { File, Directory, Symlink, Hardlink, Other }

    private static string Normalize(string path)
    {
        var p = path.Replace('\\', '/');
        while (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        return p.TrimEnd('/');
    }

    /// <summary>Whether a path, taken relative to <paramref name="directory"/> of the archive, stays inside its root.</summary>
    private static bool StaysInside(string directory, string path)
    {
        if (path.StartsWith('/') || (path.Length > 1 && path[1] == ':')) return false;
        var depth = 0;
        foreach (var part in (directory.Length == 0 ? path : directory + "/" + path).Split('/'))
        {
            if (part is "" or ".") continue;
            depth += part == ".." ? -1 : 1;
            if (depth < 0) return false;
        }
        return true;
    }

    /// <summary>Refuses an entry that leaves the archive's root; <paramref name="linkTarget"/> is checked for links.</summary>
    private static void CheckEntry(string tool, string format, string rawName, EntryKind kind, string? linkTarget)
    {
        var name = rawName.Replace('\\', '/');
        string? problem = null;
        if (!StaysInside("", name))
            problem = $"has an entry '{rawName}' outside its root";
        else if (kind == EntryKind.Symlink && linkTarget is not null)
        {
            var directory = Normalize(name) is var n && n.LastIndexOf('/') is var slash and >= 0 ? n[..slash] : "";
            if (!StaysInside(directory, linkTarget.Replace('\\', '/')))
                problem = $"has a symbolic link '{rawName}' pointing outside it (to '{linkTarget}')";
        }
        else if (kind == EntryKind.Hardlink && linkTarget is not null && !StaysInside("", linkTarget.Replace('\\', '/')))
            problem = $"has a hard link '{rawName}' pointing outside it (to '{linkTarget}')";
        if (problem is not null)
            throw new InvalidDataException(
                $"tool '{tool}': the downloaded {format} {problem}; refusing it as tampered (upstream archives hold only paths inside them).");
    }

    private static InvalidDataException NotAFile(string tool, string format, string binaryPath, EntryKind kind, string? target) =>
        new($"tool '{tool}': '{binaryPath}' in the {format} is a " +
            (kind switch { EntryKind.Symlink => "symbolic link", EntryKind.Hardlink => "hard link", EntryKind.Directory => "directory", _ => "special file" }) +
            (target is null ? "" : $" to '{target}'") +
            ", not a regular file; a release binary must be the file itself: check the tool's 'binary' in tools.yaml.");

    private static InvalidDataException Missing(string tool, string format, string binaryPath, IEnumerable<string> seen) =>
        new($"tool '{tool}': no file '{binaryPath}' in the {format}; it holds: {string.Join(", ", seen.Take(20))}. Check the tool's 'binary' in tools.yaml.");

    private static void CopyFromTarGz(string tool, string assetPath, string binaryPath, Stream output)
    {
        var wanted = Normalize(binaryPath);
        var seen = new List<string>();
        var found = false;
        using var file = File.OpenRead(assetPath);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            var kind = entry.EntryType switch
            {
                TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile => EntryKind.File,
                TarEntryType.Directory => EntryKind.Directory,
                TarEntryType.SymbolicLink => EntryKind.Symlink,
                TarEntryType.HardLink => EntryKind.Hardlink,
                _ => EntryKind.Other,
            };
            var target = kind is EntryKind.Symlink or EntryKind.Hardlink ? entry.LinkName : null;
            CheckEntry(tool, "tar.gz", entry.Name, kind, target);
            seen.Add(entry.Name);
            if (found || Normalize(entry.Name) != wanted) continue;
            if (kind != EntryKind.File) throw NotAFile(tool, "tar.gz", binaryPath, kind, target);
            entry.DataStream?.CopyTo(output);
            found = true; // keep reading: the rest of the archive is checked too
        }
        if (!found) throw Missing(tool, "tar.gz", binaryPath, seen);
    }

    private static void CopyFromZip(string tool, string assetPath, string binaryPath, Stream output)
    {
        var wanted = Normalize(binaryPath);
        using var zip = ZipFile.OpenRead(assetPath);
        ZipArchiveEntry? match = null;
        var matchKind = EntryKind.File;
        string? matchTarget = null;
        foreach (var entry in zip.Entries)
        {
            // Unix file type in the high 16 bits of the external attributes (0xA000: symbolic link, its target is the content).
            var unixType = (entry.ExternalAttributes >> 16) & 0xF000;
            var kind = unixType == 0xA000 ? EntryKind.Symlink : entry.FullName.EndsWith('/') ? EntryKind.Directory : EntryKind.File;
            string? target = null;
            if (kind == EntryKind.Symlink)
            {
                using var reader = new StreamReader(entry.Open(), Encoding.UTF8);
                target = reader.ReadToEnd();
            }
            CheckEntry(tool, "zip", entry.FullName, kind, target);
            if (match is null && Normalize(entry.FullName) == wanted)
                (match, matchKind, matchTarget) = (entry, kind, target);
        }
        if (match is null) throw Missing(tool, "zip", binaryPath, zip.Entries.Select(e => e.FullName));
        if (matchKind != EntryKind.File) throw NotAFile(tool, "zip", binaryPath, matchKind, matchTarget);
        using var data = match.Open();
        data.CopyTo(output);
    }
}
