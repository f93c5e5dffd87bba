namespace Strata.Vault.Platform;

/// <summary>No core dump may ever hold the passphrase: core size 0 (soft and hard, for the vault and all it runs), and the process not dumpable (no ptrace attach by the same user, no core).</summary>
internal static unsafe class Hardening
{
    public static void Apply()
    {
        var none = new Libc.RLimit { Current = 0, Maximum = 0 };
        if (Libc.setrlimit(Libc.RLIMIT_CORE, &none) != 0) throw new VaultException("cannot turn core dumps off (setrlimit RLIMIT_CORE)");
        if (Libc.prctl(Libc.PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw new VaultException("cannot make the process non-dumpable (prctl PR_SET_DUMPABLE)");
    }
}
