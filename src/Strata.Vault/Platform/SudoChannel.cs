using System.Diagnostics;
using Strata.Vault.Root;
using Strata.Vault.Secrets;
using Strata.Vault.User;

namespace Strata.Vault.Platform;

/// <summary>
/// `sudo -n -- VAULT __root ...`: this same program as root (a root caller runs it directly). Its stdin is the
/// passphrase pipe for an unlock and empty otherwise; its stderr is the user's, so its messages reach the terminal.
/// </summary>
public sealed class SudoChannel : IRootChannel
{
    private readonly object _gate = new();
    private Process? _running;

    public int Run(RootRequest request, Secret? passphrase)
    {
        var self = Environment.ProcessPath ?? throw new VaultException("cannot find this program's own path");
        var asRoot = Libc.geteuid() == 0;
        if (!asRoot && !OnPath("sudo")) throw new VaultException("not root and sudo is not installed: the vault needs root for mount and dm-crypt");
        var info = new ProcessStartInfo(asRoot ? self : "sudo") { RedirectStandardInput = true, UseShellExecute = false };
        if (asRoot) info.Environment.Remove("SUDO_UID");   // a root caller owns a vault of its own
        else foreach (var a in new[] { "-n", "--", self }) info.ArgumentList.Add(a);
        info.ArgumentList.Add("__root");
        foreach (var a in request.ToArguments()) info.ArgumentList.Add(a);

        var process = Process.Start(info)!;
        lock (_gate) _running = process;
        try
        {
            try
            {
                if (passphrase is not null) process.StandardInput.BaseStream.Write(passphrase.Span);
                process.StandardInput.BaseStream.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }   // it ended before reading, or a signal's handler zeroed it
            finally { process.StandardInput.Close(); }
            process.WaitForExit();
            return process.ExitCode;
        }
        finally
        {
            lock (_gate) _running = null;
            process.Dispose();
        }
    }

    public void WaitForRunning()
    {
        Process? p;
        lock (_gate) p = _running;
        try { p?.WaitForExit(); } catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException) { }
    }

    private static bool OnPath(string cmd) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, cmd)));
}
