using Strata.Vault.Names;

namespace Strata.Vault.States;

/// <summary>Reads the one state the kernel shows; the same rules for the user side and the root helper.</summary>
public sealed class StateReader(IVaultInspector inspector, VaultNames names)
{
    public VaultState Read()
    {
        if (VaultMounted()) return new VaultState.Unlocked(inspector.MappingUuid(), inspector.Loops());
        var mapping = inspector.MappingDevice() is not null;
        var loops = inspector.Loops();
        var top = inspector.TopMount(names.MountPoint);
        var foreign = top is not null && !IsPlaceholder(top);
        var ram = RamFolderMounted();
        var image = inspector.ImageExists();
        var leftovers = new Leftovers(mapping, top is null || IsPlaceholder(top) ? null : top, loops, ram, image);
        if (mapping || foreign || loops.Count > 0) return new VaultState.Broken(leftovers);
        // A sealed vault is a complete one: an image a crash left half made (not yet LUKS, or without its
        // filesystem) is a leftover, or the next unlock would ask a passphrase for a vault that cannot open.
        if (ram && image && inspector.ImageComplete()) return new VaultState.Sealed();
        if (ram || image) return new VaultState.Broken(leftovers);
        return new VaultState.Locked();
    }

    /// <summary>The mount point is mounted from this vault's mapping (the topmost mount: what a path resolves to).</summary>
    public bool VaultMounted() =>
        inspector.MappingDevice() is { } dev && inspector.TopMount(names.MountPoint) is { } top && top.Device == dev;

    /// <summary>Only the read-only "locked" tmpfs is on the mount point.</summary>
    public bool PlaceholderOnly() => inspector.TopMount(names.MountPoint) is { } top && IsPlaceholder(top);

    /// <summary>Something that is neither this vault nor the placeholder is mounted on the mount point.</summary>
    public bool ForeignMount() => inspector.TopMount(names.MountPoint) is { } top && !IsPlaceholder(top) && !VaultMounted();

    public bool RamFolderMounted() => inspector.TopMount(names.RamFolder) is not null;

    private static bool IsPlaceholder(MountEntry top) => top.Source == VaultNames.Placeholder && top.FsType == "tmpfs";
}
