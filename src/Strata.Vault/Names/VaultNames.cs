namespace Strata.Vault.Names;

/// <summary>
/// Every name one vault uses. Loop devices and device-mapper names belong to the host kernel, shared by
/// every container on it, and /run may be shared too; the mount-namespace id is unique per container (and
/// the same for every process of it), so the user and that id name the RAM folder, the image (whose path
/// is what /sys shows as a loop's backing file), the mapping and the lock.
/// </summary>
public sealed record VaultNames(VaultUser User, string MountNamespace, string MountPoint, VaultSize Size)
{
    public const string BaseDirectory = "/run/strata-vault";
    /// <summary>Source name of the read-only tmpfs on a locked mount point.</summary>
    public const string Placeholder = "strata-vault-locked";

    public string Tag => $"{Sanitized(User.Name)}-{(MountNamespace.Length == 0 ? "0" : MountNamespace)}";
    public string Mapping => "strata-vault-" + Tag;
    public string MappingPath => "/dev/mapper/" + Mapping;
    public string RamFolder => $"{BaseDirectory}/{Tag}";
    public string Image => RamFolder + "/vault.img";
    /// <summary>Made once the image holds LUKS and a filesystem: only a complete image can be sealed.</summary>
    public string ImageCompleteMarker => RamFolder + "/vault.img.complete";
    public string LockFile => $"{BaseDirectory}/{Tag}.lock";
    public string PreflightFile => $"{BaseDirectory}/{Tag}.preflight-ok";
    /// <summary>The nonce of the unlock attempt that opened the vault: an interrupted attempt closes only its own.</summary>
    public string OpenerFile => $"{BaseDirectory}/{Tag}.opened-by";

    /// <summary>The digits of a namespace link ("mnt:[4026532281]" gives "4026532281").</summary>
    public static string NamespaceId(string? link) => new((link ?? "").Where(char.IsAsciiDigit).ToArray());

    private static string Sanitized(string user) =>
        new(user.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_').ToArray());
}
