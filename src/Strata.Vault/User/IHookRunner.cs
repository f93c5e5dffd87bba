namespace Strata.Vault.User;

/// <summary>Runs the unlock hooks (~/.config/vault/unlock.d/*) as the user, with VAULT_DIR set.</summary>
public interface IHookRunner
{
    /// <summary>The hooks that failed (each is reported; the vault stays unlocked).</summary>
    IReadOnlyList<string> RunHooks(string vaultDir);
}
