using System.Formats.Tar;
using System.IO.Compression;
using Strata.IO;
using Strata.Tools;

namespace Strata.Downloads;

/// <summary>Takes the one executable out of a cached asset and writes it with mode 0755.</summary>
public static class AssetExtractor
{
    private const UnixFileMode Executable =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>
    /// Writes the binary of <paramref name="assetPath"/> to <paramref name="destination"/> (atomically, mode 0755).
    /// <paramref name="binaryPath"/> is the path inside a tar.gz or zip ("./" prefixes are ignored); unused for raw.
    /// </summary>
    public static void Extract(string assetPath, ArchiveFormat format, string? binaryPath, string destination)
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
                    CopyFromTarGz(assetPath, binaryPath!, output);
                    break;
                case ArchiveFormat.Zip:
                    CopyFromZip(assetPath, binaryPath!, output);
                    break;
            }
        });
        File.SetUnixFileMode(destination, Executable);
    }

    private static string Normalize(string path)
    {
        var p = path.Replace('\\', '/');
        while (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        return p.TrimStart('/');
    }

    private static void CopyFromTarGz(string assetPath, string binaryPath, Stream output)
    {
        var wanted = Normalize(binaryPath);
        using var file = File.OpenRead(assetPath);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        var seen = new List<string>();
        while (tar.GetNextEntry() is { } entry)
        {
            var name = Normalize(entry.Name);
            if (name == wanted && entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
            {
                if (entry.DataStream is { } data) data.CopyTo(output);
                return;
            }
            if (seen.Count < 20) seen.Add(entry.Name);
        }
        throw new InvalidDataException($"{Path.GetFileName(assetPath)}: no file '{binaryPath}' in the tar.gz; it holds: {string.Join(", ", seen)}.");
    }

    private static void CopyFromZip(string assetPath, string binaryPath, Stream output)
    {
        var wanted = Normalize(binaryPath);
        using var zip = ZipFile.OpenRead(assetPath);
        var entry = zip.Entries.FirstOrDefault(e => Normalize(e.FullName) == wanted)
            ?? throw new InvalidDataException($"{Path.GetFileName(assetPath)}: no file '{binaryPath}' in the zip; it holds: {string.Join(", ", zip.Entries.Take(20).Select(e => e.FullName))}.");
        using var data = entry.Open();
        data.CopyTo(output);
    }
}
