using System.Runtime.InteropServices;
using System.Text;

namespace Strata.Vault.Platform;

/// <summary>write(2) of a whole text to a file descriptor (see <see cref="StandardConsole"/> for why not System.Console).</summary>
internal static unsafe class RawOutput
{
    public static void Write(int fd, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* b = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var n = Libc.write(fd, b + done, (nuint)(bytes.Length - done));
                if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
                if (n <= 0) return;   // a closed stdout: nothing more to say
                done += (int)n;
            }
        }
    }
}
