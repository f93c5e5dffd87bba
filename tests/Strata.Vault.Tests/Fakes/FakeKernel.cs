using Strata.Vault.States;

namespace Strata.Vault.Tests.Fakes;

/// <summary>
/// The kernel objects of one vault, as a model: RAM folder, image (LUKS or not, its key and files), loop devices,
/// the dm-crypt mapping (deferred removal, openers), the mount stack on the mount point. Shared by every process
/// (user side, helpers) of a test, as the real kernel is; the rules (a deferred mapping goes with its last opener,
/// an autoclear loop with its mapping) are applied by <see cref="Settle"/>.
/// </summary>
public sealed class FakeKernel
{
    public sealed class Image
    {
        public bool Luks;
        public byte[]? Key;
        public bool HasFilesystem;
        public bool Complete;
        public HashSet<string> Files { get; } = [];
    }

    public sealed record Loop(string Device, Image Backing, bool Autoclear);

    public sealed class Mapping
    {
        public required Loop Loop;
        public bool Deferred;
        /// <summary>Openers besides a mount (a probe, another namespace's copy of the mount).</summary>
        public int Holders;
        /// <summary>The holders let go at this time (null: never by themselves).</summary>
        public DateTimeOffset? HoldersLeaveAt;
    }

    public enum MountKind { Placeholder, Vault, Foreign }

    public bool RamFolderMounted, RamFolderExists;
    public Image? ImageFile;
    public List<Loop> Loops { get; } = [];
    public Mapping? DmMapping;
    public List<MountKind> MountStack { get; } = [];
    public bool MountPointExists = true;
    public string? Opener;
    public bool PreflightCached;
    public bool LockHeld;
    public List<string> MissingPieces { get; } = [];
    public long AvailableMemory = 4L << 30;
    /// <summary>A process of the user holds a file in the vault: unmount fails (busy).</summary>
    public bool VaultBusy;
    public DateTimeOffset Now = DateTimeOffset.UnixEpoch;
    private int _nextLoop;

    public bool VaultMounted => DmMapping is not null && MountStack.Count > 0 && MountStack[^1] == MountKind.Vault;

    public Loop AttachLoop(Image image, bool autoclear)
    {
        var loop = new Loop($"/dev/loop{_nextLoop++}", image, autoclear);
        Loops.Add(loop);
        return loop;
    }

    public void Advance(TimeSpan by)
    {
        Now += by;
        Settle();
    }

    /// <summary>The kernel's own work: holders that leave, a deferred mapping that goes, autoclear loops that follow it.</summary>
    public void Settle()
    {
        if (DmMapping is { HoldersLeaveAt: { } at } m && Now >= at) { m.Holders = 0; m.HoldersLeaveAt = null; }
        if (DmMapping is { Deferred: true, Holders: 0 } d && !MountStack.Contains(MountKind.Vault)) RemoveMapping(d);
    }

    public void RemoveMapping(Mapping m)
    {
        DmMapping = null;
        if (m.Loop.Autoclear) Loops.Remove(m.Loop);
    }

    public MountEntry? Top => MountStack.Count == 0 ? null : MountStack[^1] switch
    {
        MountKind.Placeholder => new MountEntry("0:51", "strata-vault-locked", "tmpfs"),
        MountKind.Vault => new MountEntry("254:0", "/dev/mapper/x", "ext4"),
        _ => new MountEntry("0:60", "tmpfs", "tmpfs"),
    };

    // --- states made by hand, as a crash would leave them

    /// <summary>An open vault, as an unlock leaves it.</summary>
    public static FakeKernel Unlocked(byte[] key, params string[] files)
    {
        var k = new FakeKernel { PreflightCached = true };
        k.RamFolderExists = k.RamFolderMounted = true;
        k.ImageFile = new Image { Luks = true, Key = key, HasFilesystem = true, Complete = true };
        foreach (var f in files) k.ImageFile.Files.Add(f);
        k.DmMapping = new Mapping { Loop = k.AttachLoop(k.ImageFile, autoclear: true), Deferred = true };
        k.MountStack.AddRange([MountKind.Placeholder, MountKind.Vault]);
        k.Opener = "1-1";
        return k;
    }

    /// <summary>A sealed vault, as `lock --keep` leaves it.</summary>
    public static FakeKernel Sealed(byte[] key, params string[] files)
    {
        var k = Unlocked(key, files);
        k.MountStack.Remove(MountKind.Vault);
        k.Opener = null;
        k.Settle();
        return k;
    }

    public static FakeKernel Locked() => new() { PreflightCached = true, MountStack = { MountKind.Placeholder } };
}
