using System.Runtime.InteropServices;

namespace Strata.Vault.Platform;

/// <summary>flock(2) on the vault's lock file: one unlock or lock at a time; the kernel releases it when the process dies.</summary>
internal sealed class FileLock : IDisposable
{
    private int _fd;
    private FileLock(int fd) => _fd = fd;

    public static FileLock? TryTake(string path)
    {
        var fd = Libc.open(path, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND | Libc.O_CLOEXEC, 0b110_000_000);
        if (fd < 0) throw new VaultException($"cannot open the lock file {path} (errno {Marshal.GetLastPInvokeError()})");
        if (Libc.flock(fd, Libc.LOCK_EX | Libc.LOCK_NB) == 0) return new FileLock(fd);
        Libc.close(fd);
        return null;
    }

    public void Dispose()
    {
        if (_fd >= 0) Libc.close(_fd);
        _fd = -1;
    }
}
