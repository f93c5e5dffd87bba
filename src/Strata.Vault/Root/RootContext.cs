using Strata.Vault.Names;

namespace Strata.Vault.Root;

/// <summary>Looks a user up by uid (getpwuid: the passwd database, NSS included).</summary>
public interface IUserDirectory
{
    VaultUser? Find(int uid);
}

/// <summary>
/// The names of the root helper, derived as root: the user from the caller's uid (SUDO_UID, which sudo sets and
/// a caller cannot), the namespace from the helper's own mount namespace (sudo keeps the caller's), the mount point
/// checked by <see cref="MountPointPolicy"/>, the size parsed. Nothing else the caller says is used.
/// </summary>
public static class RootContext
{
    public static VaultNames Derive(RootRequest request, int callerUid, IUserDirectory users, string mountNamespace, IPathInspector paths)
    {
        var user = users.Find(callerUid) ?? throw new VaultException($"cannot look up the user of uid {callerUid} (getpwuid)");
        var size = VaultSize.Parse(request.Size);
        var mount = MountPointPolicy.Check(request.MountPoint, user.Home, user.Uid, paths);
        return new VaultNames(user, VaultNames.NamespaceId(mountNamespace), mount, size);
    }

    /// <summary>The caller: SUDO_UID under sudo; a root caller (no sudo) owns a vault of its own.</summary>
    public static int CallerUid(int realUid, string? sudoUid) =>
        realUid != 0 ? throw new VaultException("the helper must run as root (through sudo)")
        : sudoUid is null ? 0
        : int.TryParse(sudoUid, out var uid) && uid >= 0 ? uid
        : throw new VaultException($"SUDO_UID '{sudoUid}' is not a uid");
}
