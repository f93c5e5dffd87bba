using Strata.Vault.Names;
using Strata.Vault.States;

namespace Strata.Vault.Root;

/// <summary>
/// Takes a vault down from whatever exists (lock, clean, and the undo of a failed or interrupted unlock): every
/// step looks first, so a teardown after a crash at any point finishes the job. A mapping under deferred removal
/// that something still holds is waited for (up to 30 s), not taken for a leftover.
/// </summary>
public sealed class Teardown(IPrivilegedSystem system, VaultNames names, IClock clock, IConsole console)
{
    public static readonly TimeSpan ReleaseWait = TimeSpan.FromSeconds(30);
    private readonly StateReader _reader = new(system, names);
    private bool _awaited;

    /// <summary>The state, after a mapping under deferred removal has had its time to go.</summary>
    public VaultState Judge()
    {
        var state = _reader.Read();
        if (state is VaultState.Broken && system.DeferredRemovalPending())
        {
            AwaitDeferredRemoval();
            state = _reader.Read();
        }
        return state;
    }

    /// <summary>True when everything the mode removes is gone and the mount point is sealed.</summary>
    public bool Run(LockMode mode)
    {
        // A kept image must be a LUKS volume: a half-written one (a crash during creation) is erased.
        var keep = mode == LockMode.Keep && system.ImageExists() && system.ImageComplete() && system.ImageIsLuks();
        foreach (var step in Enum.GetValues<TeardownStep>())
            if (!Do(step, keep)) return false;
        return true;
    }

    private bool Do(TeardownStep step, bool keep)
    {
        switch (step)
        {
            case TeardownStep.UnmountVault: return UnmountOurs();
            case TeardownStep.CloseMapping: return CloseMapping();
            case TeardownStep.DetachLoops: return DetachLoops();
            case TeardownStep.WipeKeyslots:
                if (!keep && system.ImageExists()) TryQuietly(system.WipeKeyslots);
                return true;
            case TeardownStep.RemoveImage:
                if (!keep && system.ImageExists()) system.RemoveImage();
                return true;
            case TeardownStep.UnmountRamFolder:
                if (keep) return true;
                if (_reader.RamFolderMounted()) system.UnmountRamFolder();
                TryQuietly(system.RemoveRamFolder);
                return true;
            default:
                system.RemoveOpener();
                SealMountPoint();
                return true;
        }
    }

    /// <summary>While locked, the mount point is a read-only empty tmpfs: even root cannot write plaintext there.</summary>
    public void SealMountPoint()
    {
        system.EnsureMountPoint();
        if (system.TopMount(names.MountPoint) is not null) return;
        try { system.MountPlaceholder(); }
        catch (VaultException) { console.Say($"warning: cannot mount the read-only placeholder on {names.MountPoint} (root could write there while locked)"); }
    }

    private bool UnmountOurs()
    {
        for (var i = 0; i < 4 && _reader.VaultMounted(); i++)   // (a mount can be stacked: one unmount each)
        {
            if (system.UnmountVault()) continue;
            var users = system.ProcessesUsingMountPoint();
            console.Say($"cannot unmount {names.MountPoint}: it is busy. Processes using it:\n" +
                        (users.Count == 0 ? "  (none found)" : string.Join("\n", users.Select(u => "  " + u))));
            return false;
        }
        return !_reader.VaultMounted();
    }

    private bool CloseMapping()
    {
        if (system.MappingDevice() is null) return true;
        if (system.DeferredRemovalPending() && AwaitDeferredRemoval()) return true;
        TryQuietly(system.CloseMapping);
        if (WaitUntil(TimeSpan.FromSeconds(2), () => system.MappingDevice() is null)) return true;
        console.Say($"cannot close mapping {names.Mapping}: it is still open ({system.OpenCount()?.ToString() ?? "?"} opener(s): a copy of " +
                    $"{names.MountPoint} in another mount namespace, or a process holding the device); it goes when they close it");
        return false;
    }

    /// <summary>True once the mapping is gone; false if it is still there (one long wait per command).</summary>
    private bool AwaitDeferredRemoval()
    {
        if (_awaited) return system.MappingDevice() is null;
        if (WaitUntil(TimeSpan.FromSeconds(1), () => !system.DeferredRemovalPending()) && system.MappingDevice() is null) return true;
        var openers = system.OpenCount();
        if (openers == 0) return false;   // nobody holds it (a slow work queue): removing it directly is safe
        _awaited = true;
        console.Say($"mapping {names.Mapping} is being removed but is still held open ({openers?.ToString() ?? "?"} opener(s)); " +
                    $"waiting up to {ReleaseWait.TotalSeconds:0}s for it to go");
        WaitUntil(ReleaseWait, () => !system.DeferredRemovalPending());
        return system.MappingDevice() is null;
    }

    private bool DetachLoops()
    {
        WaitUntil(TimeSpan.FromSeconds(5), () => !system.AutoclearLoopsPresent());   // cryptsetup's loops clear themselves
        var ok = true;
        foreach (var loop in system.OurLoops())
        {
            if (system.DetachLoop(loop)) continue;
            console.Say($"cannot detach {loop}");
            ok = false;
        }
        return ok;
    }

    /// <summary>Polls until the condition holds (wall time: on a loaded machine a poll costs more than its sleep).</summary>
    private bool WaitUntil(TimeSpan limit, Func<bool> condition)
    {
        var end = clock.Now + limit;
        while (!condition())
        {
            if (clock.Now >= end) return false;
            clock.Sleep(TimeSpan.FromMilliseconds(100));
        }
        return true;
    }

    private static void TryQuietly(Action action)
    {
        try { action(); } catch (VaultException) { }
    }
}
