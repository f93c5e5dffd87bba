using Strata.Vault.Secrets;
using Strata.Vault.States;

namespace Strata.Vault.Root;

/// <summary>How a LUKS open ended.</summary>
public enum OpenResult { Opened, WrongPassphrase, Failed }

/// <summary>
/// Every privileged step of the vault, one method each, for the vault's own names only (the implementation is
/// built for one <see cref="Names.VaultNames"/>): the root helper's whole reach. The real one runs the kernel's
/// tools (<see cref="Platform.LinuxSystem"/>); the tests' fake models the kernel objects. A step that fails
/// throws <see cref="VaultException"/>; the ones that return bool report what cleaning code must know.
/// </summary>
public interface IPrivilegedSystem : IVaultInspector
{
    /// <summary>Memory the machine has available now (/proc/meminfo MemAvailable).</summary>
    long AvailableMemory();
    /// <summary>Every missing piece (empty: the vault can work here).</summary>
    IReadOnlyList<string> Preflight();
    void CachePreflight();
    void ForgetPreflight();
    /// <summary>Takes the vault's lock without waiting (null: another command holds it).</summary>
    IDisposable? TryLock();

    // Creating a vault, in the order an unlock runs them.
    void MountRamFolder();
    void CreateImage(long bytes);
    void FormatLuks(Secret passphrase);
    OpenResult OpenLuks(Secret passphrase);
    void MakeFilesystem();
    /// <summary>Marks the image as a whole vault (what a sealed state needs).</summary>
    void MarkImageComplete();
    /// <summary>Creates the mount point (owned by the user) if it is missing.</summary>
    void EnsureMountPoint();
    /// <summary>The read-only empty tmpfs that sits on a locked mount point.</summary>
    void MountPlaceholder();
    /// <summary>Mounts the mapping on the mount point (owner the user, mode 0700).</summary>
    void MountVault();
    void MarkDeferredRemoval();
    void WriteOpener(string nonce);

    // Inspection that needs root (dmsetup, losetup).
    bool DeferredRemovalPending();
    int? OpenCount();
    bool AutoclearLoopsPresent();
    /// <summary>Loop devices backing exactly this image file (same device and inode, not only the path).</summary>
    IReadOnlyList<string> OurLoops();
    bool ImageIsLuks();
    string? ReadOpener();
    /// <summary>Processes with a file or working directory in the mount point, for a "busy" message.</summary>
    IReadOnlyList<string> ProcessesUsingMountPoint();

    // Taking a vault down.
    /// <summary>False if the mount point is busy.</summary>
    bool UnmountVault();
    /// <summary>cryptsetup close, else dmsetup remove; best effort (the caller checks what remains).</summary>
    void CloseMapping();
    bool DetachLoop(string device);
    /// <summary>Wipes the LUKS keyslots, so freed pages hold nothing that could be unlocked.</summary>
    void WipeKeyslots();
    void RemoveImage();
    void UnmountRamFolder();
    void RemoveRamFolder();
    void RemoveOpener();
}
