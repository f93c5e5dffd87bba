namespace Strata.Vault.States;

/// <summary>What an unlock expects to find: a new vault is created from Locked, a sealed one is reopened.</summary>
public enum UnlockMode { New, Sealed }

/// <summary>What a lock leaves: nothing (erase) or the encrypted image in RAM (keep: sealed).</summary>
public enum LockMode { Erase, Keep }

/// <summary>The steps of an unlock, in order. Each one is undone by the teardown, which reads what exists.</summary>
public enum UnlockStep
{
    MountRamFolder, CreateImage, FormatLuks, OpenLuks, MakeFilesystem, MarkImageComplete, SealMountPoint, MountVault,
    MarkDeferredRemoval, RecordOpener,
}

/// <summary>The steps of a teardown (lock, clean, undo), in order; each is skipped when what it removes is gone.</summary>
public enum TeardownStep { UnmountVault, CloseMapping, DetachLoops, WipeKeyslots, RemoveImage, UnmountRamFolder, SealMountPoint }

/// <summary>An unlock from one state: the steps it runs and the state its undo returns to.</summary>
public sealed record UnlockPlan(UnlockMode Mode, IReadOnlyList<UnlockStep> Steps)
{
    public static readonly UnlockPlan Create = new(UnlockMode.New, Enum.GetValues<UnlockStep>());

    public static readonly UnlockPlan Reopen = new(UnlockMode.Sealed,
        [UnlockStep.OpenLuks, UnlockStep.SealMountPoint, UnlockStep.MountVault, UnlockStep.MarkDeferredRemoval, UnlockStep.RecordOpener]);

    public static UnlockPlan For(UnlockMode mode) => mode == UnlockMode.New ? Create : Reopen;

    /// <summary>Undoing a failed reopen keeps the sealed image; undoing a creation erases.</summary>
    public LockMode Undo => Mode == UnlockMode.Sealed ? LockMode.Keep : LockMode.Erase;

    /// <summary>The mode an unlock needs for a state, or null (unlocked or broken: not a start).</summary>
    public static UnlockMode? ModeFor(VaultState state) => state switch
    {
        VaultState.Locked => UnlockMode.New,
        VaultState.Sealed => UnlockMode.Sealed,
        _ => null,
    };
}
