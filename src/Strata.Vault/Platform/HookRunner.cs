using System.Diagnostics;
using Strata.Vault.User;

namespace Strata.Vault.Platform;

/// <summary>The executables in ~/.config/vault/unlock.d/, in lexical order, as the user, with VAULT_DIR set.</summary>
public sealed class HookRunner(string home) : IHookRunner
{
    private const UnixFileMode Executable = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public IReadOnlyList<string> RunHooks(string vaultDir)
    {
        var dir = Path.Combine(home, ".config/vault/unlock.d");
        if (!Directory.Exists(dir)) return [];
        var failed = new List<string>();
        foreach (var hook in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
        {
            if ((File.GetUnixFileMode(hook) & Executable) == 0) continue;
            try
            {
                var info = new ProcessStartInfo(hook) { UseShellExecute = false };
                info.Environment["VAULT_DIR"] = vaultDir;
                using var p = Process.Start(info)!;
                p.WaitForExit();
                if (p.ExitCode != 0) failed.Add(hook);
            }
            catch (System.ComponentModel.Win32Exception) { failed.Add(hook); }
        }
        return failed;
    }
}
