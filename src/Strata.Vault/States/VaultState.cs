namespace Strata.Vault.States;

/// <summary>What the kernel shows of one vault: exactly one of four states, each with its exit status for `vault status`.</summary>
public abstract record VaultState(int StatusCode)
{
    /// <summary>The mount point is mounted from this vault's mapping.</summary>
    public sealed record Unlocked(string? Uuid, IReadOnlyList<string> Loops) : VaultState(0);

    /// <summary>Nothing of the vault exists.</summary>
    public sealed record Locked() : VaultState(1);

    /// <summary>The encrypted image is in RAM (after `lock --keep`), nothing is open.</summary>
    public sealed record Sealed() : VaultState(2);

    /// <summary>Leftovers of a crashed session; the next unlock or lock cleans them.</summary>
    public sealed record Broken(Leftovers Leftovers) : VaultState(3);

    public string Name => this switch { Unlocked => "unlocked", Locked => "locked", Sealed => "sealed", _ => "broken" };
}

/// <summary>What a broken vault left behind.</summary>
public sealed record Leftovers(bool Mapping, MountEntry? Mount, IReadOnlyList<string> Loops, bool RamFolder, bool Image);

/// <summary>The topmost mount on a path: device (major:minor), source and filesystem type, as /proc/self/mountinfo says.</summary>
public sealed record MountEntry(string Device, string Source, string FsType)
{
    public override string ToString() => $"{Device} {Source} {FsType}";
}
