namespace Strata.Vault.States;

/// <summary>
/// What a process without privileges can see of its vault (/sys, /proc and the 0711 RAM folder are enough):
/// `vault status` and the user side read only this.
/// </summary>
public interface IVaultInspector
{
    /// <summary>The major:minor of this vault's mapping, if it is active.</summary>
    string? MappingDevice();
    /// <summary>The mapping's dm uuid (CRYPT-LUKS2-...), if it is active.</summary>
    string? MappingUuid();
    MountEntry? TopMount(string path);
    bool ImageExists();
    /// <summary>The image is a whole vault (LUKS and a filesystem): its marker in the RAM folder says so.</summary>
    bool ImageComplete();
    /// <summary>Loop devices (/dev/loopN) whose backing file is this vault's image path.</summary>
    IReadOnlyList<string> Loops();
    /// <summary>The root helper's preflight passed in this boot and mount namespace.</summary>
    bool PreflightCached();
    /// <summary>Entries in the open vault, lost+found aside.</summary>
    int CountEntries();
}
