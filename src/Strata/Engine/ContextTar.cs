using System.Formats.Tar;
using Strata.Keys;

namespace Strata.Engine;

/// <summary>
/// Writes a build context as a tar stream holding exactly the given files, with fixed owner,
/// mode and times (GNU format: PAX would add the current atime/ctime), so the same files always give the same context (and the engine's cache agrees).
/// </summary>
public static class ContextTar
{
    private static readonly DateTimeOffset FixedTime = DateTimeOffset.UnixEpoch;

    public static Task WriteAsync(Stream destination, IEnumerable<InputFile> files,
        IEnumerable<string> emptyDirectories, CancellationToken ct) =>
        WriteAsync(destination, files, emptyDirectories.Select(d => new ContextDirectory(d, Mode(true))), ct);

    /// <summary>Folders are written first, each with its own mode (a COPY keeps it).</summary>
    public static async Task WriteAsync(Stream destination, IEnumerable<InputFile> files,
        IEnumerable<ContextDirectory> directories, CancellationToken ct)
    {
        await using var writer = new TarWriter(destination, TarEntryFormat.Gnu, leaveOpen: true);
        foreach (var dir in directories.OrderBy(d => d.Path, StringComparer.Ordinal))
        {
            var entry = new GnuTarEntry(TarEntryType.Directory, dir.Path.TrimEnd('/') + "/") { Mode = dir.Mode };
            Normalize(entry);
            await writer.WriteEntryAsync(entry, ct);
        }
        foreach (var file in files.OrderBy(f => f.ContextPath, StringComparer.Ordinal))
        {
            if (file.LinkTarget is { } target)
            {
                var link = new GnuTarEntry(TarEntryType.SymbolicLink, file.ContextPath) { LinkName = target, Mode = Mode(true) };
                Normalize(link);
                await writer.WriteEntryAsync(link, ct);
                continue;
            }
            await using var data = new FileStream(file.SourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            var entry = new GnuTarEntry(TarEntryType.RegularFile, file.ContextPath)
            {
                Mode = Mode(file.Executable),
                DataStream = data,
            };
            Normalize(entry);
            await writer.WriteEntryAsync(entry, ct);
        }
    }

    private static void Normalize(GnuTarEntry entry)
    {
        entry.ModificationTime = FixedTime;
        entry.AccessTime = FixedTime;
        entry.ChangeTime = FixedTime;
        entry.Uid = 0;
        entry.Gid = 0;
        entry.UserName = "";
        entry.GroupName = "";
    }

    internal static UnixFileMode Mode(bool executable) =>
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead |
        (executable ? UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : 0);
}

/// <summary>A folder of a build context with its mode (for example a private folder: 0500).</summary>
public sealed record ContextDirectory(string Path, UnixFileMode Mode);
