namespace Strata.Vault.Names;

/// <summary>The size of the encrypted volume (STRATA_VAULT_SIZE_MB), parsed in one place.</summary>
public readonly record struct VaultSize(int MiB)
{
    public const int Default = 64;
    public const int Minimum = 8;
    public long Bytes => MiB * 1024L * 1024L;

    public static VaultSize Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return new(Default);
        if (!text.All(char.IsAsciiDigit) || text.Length > 7 || int.Parse(text) < Minimum)
            throw new VaultException($"STRATA_VAULT_SIZE_MB must be a whole number of MiB, at least {Minimum} (got '{text}')");
        return new(int.Parse(text));
    }

    /// <summary>
    /// The image lives in a ramfs, which has no size limit of its own: a vault bigger than the machine can
    /// hold would be killed by the OOM killer half way through a write. Half of what is available is the cap,
    /// checked before anything is allocated.
    /// </summary>
    public void EnsureFits(long availableBytes)
    {
        if (Bytes > availableBytes / 2)
            throw new VaultException($"STRATA_VAULT_SIZE_MB={MiB} does not fit: this machine has {availableBytes >> 20} MiB of memory available, " +
                                     $"and a vault in RAM may take at most half of it ({availableBytes >> 21} MiB); choose a smaller size");
    }

    public override string ToString() => MiB.ToString();
}
