using System.Runtime.InteropServices;
using System.Text;

namespace Strata.IO;

/// <summary>What a path is, as the kernel says (statx, links not followed): .NET names files and folders, not devices or inodes.</summary>
internal readonly record struct UnixFileStatus(UnixFileType Type, ulong Inode, uint LinkCount, long Size, uint DeviceMajor, uint DeviceMinor)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>The status of <paramref name="path"/>, never following a link; throws <see cref="IOException"/> when the kernel cannot say.</summary>
    public static UnixFileStatus Of(string path)
    {
        if (Native.statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, out var s) != 0)
            throw new IOException($"cannot read the status of {path}: errno {Marshal.GetLastPInvokeError()}");
        return new UnixFileStatus((UnixFileType)(s.Mode & 0xF000), s.Inode, s.LinkCount, (long)s.Size, s.RdevMajor, s.RdevMinor);
    }

    /// <summary>An extended attribute's value (links not followed), or null where the path has none by that name.</summary>
    public static string? Attribute(string path, string name)
    {
        var buffer = new byte[256];
        var length = Native.lgetxattr(path, name, buffer, (nuint)buffer.Length);
        return length < 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)length);
    }

    /// <summary>struct statx (linux/stat.h): 256 bytes, the same layout on every architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct Statx
    {
        [FieldOffset(16)] public uint LinkCount;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(128)] public uint RdevMajor;
        [FieldOffset(132)] public uint RdevMinor;
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
        public static extern int statx(int dirfd, string path, int flags, uint mask, out Statx buffer);

        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
        public static extern nint lgetxattr(string path, string name, byte[] value, nuint size);
    }
}

/// <summary>The file type bits of a Unix mode (S_IFMT).</summary>
internal enum UnixFileType
{
    Fifo = 0x1000,
    CharacterDevice = 0x2000,
    Directory = 0x4000,
    BlockDevice = 0x6000,
    RegularFile = 0x8000,
    SymbolicLink = 0xA000,
    Socket = 0xC000,
}
