using System.Runtime.InteropServices;
using System.Text;
using Strata.Vault.Secrets;
using Strata.Vault.User;

namespace Strata.Vault.Platform;

/// <summary>/dev/tty through read(2) and write(2): the passphrase goes from the kernel straight into the locked buffer.</summary>
public sealed unsafe class TtyTerminal : ITerminal
{
    private int _fd;
    private byte[]? _saved;
    private readonly object _gate = new();

    private TtyTerminal(int fd) => _fd = fd;

    public static TtyTerminal? Open()
    {
        var fd = Libc.open("/dev/tty", Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC, 0);
        return fd < 0 ? null : new TtyTerminal(fd);
    }

    public void EchoOff()
    {
        var termios = new byte[Libc.TermiosSize];
        fixed (byte* t = termios)
        {
            if (Libc.tcgetattr(_fd, t) != 0) throw new VaultException($"cannot read the terminal's settings (errno {Marshal.GetLastPInvokeError()})");
            _saved = (byte[])termios.Clone();
            var lflag = BitConverter.ToUInt32(termios, 12) & ~Libc.ECHO;
            BitConverter.TryWriteBytes(termios.AsSpan(12), lflag);
            if (Libc.tcsetattr(_fd, Libc.TCSADRAIN, t) != 0) throw new VaultException("cannot turn the terminal's echo off");
        }
    }

    public void Restore()
    {
        lock (_gate)
        {
            if (_saved is null || _fd < 0) return;
            fixed (byte* t = _saved) Libc.tcsetattr(_fd, Libc.TCSADRAIN, t);
            _saved = null;
        }
    }

    public void Write(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* b = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var n = Libc.write(_fd, b + done, (nuint)(bytes.Length - done));
                if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
                if (n <= 0) return;
                done += (int)n;
            }
        }
    }

    public Secret? ReadSecret(string prompt)
    {
        Write(prompt);
        var secret = Secret.Allocate();
        try
        {
            while (true)
            {
                var tail = secret.Tail(out var room);
                if (room == 0) throw new VaultException($"passphrase too long (at most {Secret.Capacity - 1} bytes)");
                var n = Libc.read(_fd, tail, (nuint)room);
                if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
                if (n <= 0)   // end of input (Ctrl+D) or a closed terminal: no passphrase
                {
                    Write("\n");
                    secret.Dispose();
                    return null;
                }
                secret.Grow((int)n);
                if (tail[n - 1] == (byte)'\n') break;
            }
            Write("\n");
            secret.TrimEnd((byte)'\n');
            return secret;
        }
        catch
        {
            secret.Dispose();
            throw;
        }
    }

    public string? ReadLine(string prompt)
    {
        Write(prompt);
        var line = new List<byte>();
        var b = stackalloc byte[1];
        while (true)
        {
            var n = Libc.read(_fd, b, 1);
            if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
            if (n <= 0) return line.Count == 0 ? null : Encoding.UTF8.GetString(line.ToArray());
            if (b[0] == '\n') return Encoding.UTF8.GetString(line.ToArray());
            line.Add(b[0]);
        }
    }

    public void Dispose()
    {
        Restore();
        lock (_gate)
        {
            if (_fd >= 0) Libc.close(_fd);
            _fd = -1;
        }
    }
}

public sealed class TtyProvider : ITerminalProvider
{
    public ITerminal? Open() => TtyTerminal.Open();
    public bool StdinIsTerminal => Libc.isatty(0) == 1;
}
