using System.Runtime.InteropServices;

namespace Strata.Vault.Platform;

/// <summary>
/// The few libc calls the vault needs and .NET does not offer: memory locking, core dumps, the terminal's echo
/// flag, flock, statx. "libc.so.6" by its exact name: glibc on amd64 and arm64 (the bare "libc" can resolve to
/// the libc.so linker script of a host with libc6-dev).
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc.so.6";

    [LibraryImport(Lib, SetLastError = true)] internal static partial int mlock(void* addr, nuint len);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int munlock(void* addr, nuint len);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int madvise(void* addr, nuint len, int advice);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int setrlimit(int resource, RLimit* limit);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
    [LibraryImport(Lib, SetLastError = true)] internal static partial uint getuid();
    [LibraryImport(Lib, SetLastError = true)] internal static partial uint geteuid();
    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] internal static partial int open(string path, int flags, int mode);
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint read(int fd, void* buf, nuint count);
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint write(int fd, void* buf, nuint count);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int close(int fd);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int isatty(int fd);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int tcgetattr(int fd, byte* termios);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int tcsetattr(int fd, int action, byte* termios);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int flock(int fd, int operation);
    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] internal static partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint getpwuid(uint uid);

    internal const int O_RDWR = 2, O_WRONLY = 1, O_CREAT = 0x40, O_NOCTTY = 0x100, O_CLOEXEC = 0x80000, O_APPEND = 0x400;
    internal const int TCSADRAIN = 1;
    internal const uint ECHO = 0x8;          // c_lflag bit (octal 010), the same on amd64 and arm64
    internal const int TermiosSize = 60;     // glibc's struct termios; c_lflag at offset 12
    internal const int RLIMIT_CORE = 4;
    internal const int PR_SET_DUMPABLE = 4;
    internal const int MADV_DONTDUMP = 16;
    internal const int LOCK_EX = 2, LOCK_NB = 4;
    internal const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;
    internal const int EINTR = 4, EWOULDBLOCK = 11;

    [StructLayout(LayoutKind.Sequential)]
    internal struct RLimit { public ulong Current; public ulong Maximum; }
}

internal static partial class LibcFiles
{
    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int chown(string path, uint owner, uint group);
}
