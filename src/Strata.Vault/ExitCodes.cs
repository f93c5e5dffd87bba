namespace Strata.Vault;

/// <summary>The exit statuses of the contract (smoke/vault/README.md).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int WrongPassphrase = 2;
    /// <summary>Helper to user side only: another session unlocked the vault meanwhile; nothing was done.</summary>
    public const int AlreadyUnlocked = 10;
    public const int Usage = 64;

    public static int ForSignal(VaultSignal signal) => signal switch
    {
        VaultSignal.Hup => 129, VaultSignal.Int => 130, VaultSignal.Quit => 131, _ => 143,
    };
}

public enum VaultSignal { Hup, Int, Quit, Term }
