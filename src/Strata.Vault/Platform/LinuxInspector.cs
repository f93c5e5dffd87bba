using System.Text;
using Strata.Vault.Names;
using Strata.Vault.States;

namespace Strata.Vault.Platform;

/// <summary>The vault as /sys and /proc show it, without privileges (sysfs entries can vanish between two reads).</summary>
public class LinuxInspector(VaultNames names) : IVaultInspector
{
    protected VaultNames Names { get; } = names;

    public string? MappingDevice() => MappingDirectory() is { } d ? ReadLine(d + "/dev") : null;

    public string? MappingUuid() => MappingDirectory() is { } d ? ReadLine(d + "/dm/uuid") : null;

    protected string? MappingDirectory()
    {
        foreach (var d in Directories("/sys/block", "dm-"))
            if (ReadLine(d + "/dm/name") == Names.Mapping) return d;
        return null;
    }

    public MountEntry? TopMount(string path)
    {
        MountEntry? top = null;
        foreach (var line in ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            var dash = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || dash < 0 || dash + 2 >= fields.Length) continue;
            if (Unescape(fields[4]) == path) top = new MountEntry(fields[2], Unescape(fields[dash + 2]), fields[dash + 1]);
        }
        return top;
    }

    public bool ImageExists() => File.Exists(Names.Image);

    public bool ImageComplete() => File.Exists(Names.ImageCompleteMarker);

    public IReadOnlyList<string> Loops()
    {
        var loops = new List<string>();
        foreach (var d in Directories("/sys/block", "loop"))
        {
            var backing = ReadLine(d + "/loop/backing_file");
            if (backing is null) continue;
            if (backing.EndsWith(" (deleted)", StringComparison.Ordinal)) backing = backing[..^10];
            if (backing == Names.Image) loops.Add("/dev/" + Path.GetFileName(d));
        }
        return loops;
    }

    public bool PreflightCached() =>
        ReadLine("/proc/sys/kernel/random/boot_id") is { } boot && ReadLine(Names.PreflightFile) == $"{boot} {Names.MountNamespace}";

    public int CountEntries()
    {
        try { return Directory.EnumerateFileSystemEntries(Names.MountPoint).Count(e => e != Names.MountPoint + "/lost+found"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }

    protected static IEnumerable<string> Directories(string parent, string prefix)
    {
        try { return Directory.GetFileSystemEntries(parent, prefix + "*").Order(StringComparer.Ordinal).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    protected static string? ReadLine(string path)
    {
        try { return File.ReadAllText(path).TrimEnd('\n'); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        try { return File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo.</summary>
    internal static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new StringBuilder();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(field[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
