namespace Strata.Platforms;

/// <summary>The kernel's binfmt_misc, where emulators of other platforms are registered: asked, and changed only by <see cref="Reregister"/>.</summary>
public interface IBinfmtMisc
{
    /// <summary>Where it is (named in messages and in the commands that fix it).</summary>
    string Directory { get; }

    bool Mounted { get; }

    /// <summary>The registered entry of that name, or null.</summary>
    BinfmtEntry? Find(string name);

    /// <summary>
    /// Removes the entry and registers it again with <paramref name="flags"/>. Throws <see cref="UnauthorizedAccessException"/>
    /// or <see cref="IOException"/> where this process may not (not root, a read-only /proc in a container); the entry is
    /// then registered as it was, or the message says it could not be.
    /// </summary>
    void Reregister(BinfmtEntry entry, string flags);
}

/// <summary>binfmt_misc through its files (/proc/sys/fs/binfmt_misc; tests give a stand-in folder).</summary>
public sealed class KernelBinfmtMisc(string directory) : IBinfmtMisc
{
    public string Directory { get; } = directory;

    public bool Mounted => File.Exists(Path.Combine(Directory, "status"));

    public BinfmtEntry? Find(string name)
    {
        var path = Path.Combine(Directory, name);
        return File.Exists(path) ? BinfmtEntry.Parse(name, File.ReadAllText(path)) : null;
    }

    public void Reregister(BinfmtEntry entry, string flags)
    {
        var line = entry.Registration(flags) ?? throw new IOException($"{entry.Name} is matched by file name extension, not by magic: re-register it with update-binfmts");
        var original = entry.Registration(entry.Flags)!;
        // Removed first: the kernel refuses a second entry of the same name. Other programs of that platform fail to start
        // for the microseconds in between.
        File.WriteAllText(Path.Combine(Directory, entry.Name), "-1");
        try
        {
            File.WriteAllText(Path.Combine(Directory, "register"), line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.WriteAllText(Path.Combine(Directory, "register"), original);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"{entry.Name} was removed from binfmt_misc and could not be registered again ({again.Message}): " +
                    $"update-binfmts --enable {entry.Name} registers it as Debian has it", e);
            }
            throw;
        }
    }
}
