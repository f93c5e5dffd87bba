using System.Formats.Tar;

namespace Strata.Engine;

/// <summary>
/// Reads wanted files out of the tar the engine gives for a folder of a container (its entries are named
/// after the folder's own name: "dev/.bashrc" for /home/dev/.bashrc). Only regular files; folders, links
/// and paths not asked for are left out.
/// </summary>
public static class ImageArchive
{
    /// <summary>The deepest folder holding every path: what one archive request must fetch.</summary>
    public static string CommonFolder(IEnumerable<string> paths) => paths.Select(p => p[..p.LastIndexOf('/')]).Aggregate(Common);

    public static Task<IReadOnlyList<ImageFile>> ReadFilesAsync(Stream tarOfFolder, string folder, IReadOnlySet<string> wanted,
        CancellationToken ct) => ReadFilesAsync(tarOfFolder, folder, wanted.Contains, ct);

    /// <summary>The regular files of the folder's tar whose absolute path <paramref name="wanted"/> accepts.</summary>
    public static async Task<IReadOnlyList<ImageFile>> ReadFilesAsync(Stream tarOfFolder, string folder, Func<string, bool> wanted,
        CancellationToken ct)
    {
        var parent = folder[..Math.Max(0, folder.LastIndexOf('/'))];
        var files = new List<ImageFile>();
        await using var tar = new TarReader(tarOfFolder);
        while (await NextEntryAsync(tar, ct) is { } entry)
        {
            var path = parent + "/" + entry.Name.TrimEnd('/');
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !wanted(path)) continue;
            using var content = new MemoryStream();
            if (entry.DataStream is { } data) await data.CopyToAsync(content, ct);
            files.Add(new ImageFile(path, content.ToArray(), entry.Mode));
        }
        return files;
    }

    // The engine's archive stream may end without tar's closing zero blocks.
    internal static async Task<TarEntry?> NextEntryAsync(TarReader tar, CancellationToken ct)
    {
        try
        {
            return await tar.GetNextEntryAsync(copyData: false, ct);
        }
        catch (EndOfStreamException)
        {
            return null;
        }
    }

    private static string Common(string a, string b)
    {
        while (a != b && !b.StartsWith(a + "/", StringComparison.Ordinal))
            a = a[..Math.Max(0, a.LastIndexOf('/'))];
        return a;
    }
}
