namespace Strata.Vault.Platform;

/// <summary>statx(2) without following symbolic links: the same layout on amd64 and arm64 (struct stat is not).</summary>
internal static unsafe class FileIdentity
{
    private const int ModeOffset = 28, UidOffset = 20, InoOffset = 32, DevMajorOffset = 136, DevMinorOffset = 140;
    private const uint StatxBasic = 0x7ff;

    /// <summary>"MAJOR:MINOR INODE" of a file (what losetup shows of a loop's backing file), or null.</summary>
    public static string? Of(string path) =>
        Statx(path, out var buffer) ? $"{U32(buffer, DevMajorOffset)}:{U32(buffer, DevMinorOffset)} {BitConverter.ToUInt64(buffer, InoOffset)}" : null;

    /// <summary>File type bits (S_IFMT) and owner, or null when the path does not exist.</summary>
    public static (int Type, int Uid)? TypeAndOwner(string path) =>
        Statx(path, out var buffer) ? (BitConverter.ToUInt16(buffer, ModeOffset) & 0xF000, (int)U32(buffer, UidOffset)) : null;

    private static uint U32(byte[] b, int at) => BitConverter.ToUInt32(b, at);

    private static bool Statx(string path, out byte[] buffer)
    {
        buffer = new byte[256];
        fixed (byte* p = buffer) return Libc.statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, StatxBasic, p) == 0;
    }
}

/// <summary>lstat for <see cref="Root.MountPointPolicy"/>.</summary>
public sealed class PathInspector : Root.IPathInspector
{
    public Root.PathInfo? Lstat(string path) => FileIdentity.TypeAndOwner(path) is { } t
        ? new Root.PathInfo(t.Type switch { 0x4000 => Root.PathKind.Directory, 0xA000 => Root.PathKind.SymbolicLink, _ => Root.PathKind.Other }, t.Uid)
        : null;
}
