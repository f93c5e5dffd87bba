namespace Strata.Tests.Support;

/// <summary>A throwaway repository folder for a test; deleted on dispose.</summary>
public sealed class TempRepo : IDisposable
{
    public TempRepo() => Root = Directory.CreateTempSubdirectory("strata-test-").FullName;

    public string Root { get; }

    public string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public TempRepo Write(string relative, string content, bool executable = false)
    {
        var full = Path(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead |
            (executable ? UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : 0));
        return this;
    }

    public TempRepo Symlink(string relative, string target)
    {
        var full = Path(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.CreateSymbolicLink(full, target);
        return this;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
