using MAB.DotIgnore;

namespace Strata.Keys;

/// <summary>
/// Expands a layer's declared inputs into the sorted list of files that are both hashed and sent
/// to the engine, so that what was hashed is exactly what was built.
/// </summary>
public static class InputSet
{
    /// <param name="root">The repository root.</param>
    /// <param name="inputs">Files or folders, relative to <paramref name="root"/>.</param>
    /// <param name="exclude">.dockerignore-style patterns, relative to <paramref name="root"/>.</param>
    public static IReadOnlyList<InputFile> Collect(string root, IEnumerable<string> inputs, IReadOnlyList<string> exclude)
    {
        var ignore = new IgnoreList(exclude);
        var files = new SortedDictionary<string, InputFile>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            var full = Path.Combine(root, input);
            var info = new FileInfo(full);
            if (info.Exists || info.LinkTarget is not null)
                Add(info);
            else if (Directory.Exists(full))
                Walk(new DirectoryInfo(full));
            else
                throw new StrataConfigException($"input '{input}' does not exist (relative to {root}).");
        }
        return files.Values.ToList();

        void Walk(DirectoryInfo dir)
        {
            // Enumerating never follows a symlinked folder: it is added as a link.
            foreach (var entry in dir.EnumerateFileSystemInfos())
            {
                var relative = Relative(entry.FullName);
                if (entry is DirectoryInfo sub && sub.LinkTarget is null)
                {
                    if (!ignore.IsIgnored(relative, pathIsDirectory: true)) Walk(sub);
                }
                else
                {
                    Add(entry);
                }
            }
        }

        void Add(FileSystemInfo entry)
        {
            var relative = Relative(entry.FullName);
            if (ignore.IsIgnored(relative, pathIsDirectory: false)) return;
            // The enumeration's own stat answers both (no readlink or stat per plain file).
            var link = entry.Attributes.HasFlag(FileAttributes.ReparsePoint) ? entry.LinkTarget : null;
            files[relative] = new InputFile(
                relative,
                entry.FullName,
                Executable: link is null && (entry.UnixFileMode & UnixFileMode.UserExecute) != 0,
                LinkTarget: link);
        }

        string Relative(string full) => Path.GetRelativePath(root, full).Replace('\\', '/');
    }
}
