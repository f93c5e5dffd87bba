using System.Diagnostics;
using Strata.Vault.Secrets;

namespace Strata.Vault.Platform;

/// <summary>Runs one of the kernel's tools (cryptsetup, mount, losetup, ...): argv only, a passphrase through stdin only.</summary>
internal static class Tool
{
    public sealed record Result(int ExitCode, string Output);

    /// <summary>Runs FILE ARGS. Quiet: its stderr is dropped (a probe that may fail). A passphrase goes to its stdin, then EOF.</summary>
    public static Result Run(string file, IEnumerable<string> args, Secret? stdin = null, bool quiet = false)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = quiet, RedirectStandardInput = stdin is not null, UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info)!; }
        catch (System.ComponentModel.Win32Exception e) { return new Result(127, $"{file}: {e.Message}"); }
        using (process)
        {
            var error = quiet ? process.StandardError.ReadToEndAsync() : null;
            var output = process.StandardOutput.ReadToEndAsync();
            if (stdin is not null)
            {
                try
                {
                    var pipe = process.StandardInput.BaseStream;
                    pipe.Write(stdin.Span);   // straight from the locked buffer into the pipe
                    pipe.Flush();
                }
                catch (IOException) { }   // it ended before reading: its exit status says why
                finally { process.StandardInput.Close(); }
            }
            process.WaitForExit();
            error?.Wait();
            return new Result(process.ExitCode, output.Result);
        }
    }

    /// <summary>Runs FILE ARGS and throws with WHAT when it fails.</summary>
    public static string Must(string what, string file, params string[] args)
    {
        var r = Run(file, args);
        return r.ExitCode == 0 ? r.Output : throw new VaultException($"{what} failed (exit {r.ExitCode})");
    }
}
